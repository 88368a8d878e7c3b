import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Empty, ErrorState, Loading } from '../../components/States';
import { api } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { setQuery, useLocation } from '../../lib/router';

interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

/** Text previews read the first bytes only; images up to this size. */
const TEXT_PREVIEW_BYTES = 256 * 1024;
const IMAGE_PREVIEW_BYTES = 20 * 1024 * 1024;
const CSV_ROWS = 50;

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;
const TEXT = /(^|\/)(MLmodel|requirements\.txt|Dockerfile|LICENSE|README)$|\.(txt|log|md|py|json|ya?ml|csv|tsv|ini|toml|cfg|conf|xml|sh|r|sql|ipynb|js|ts|html|env|properties|jsonl)$/i;

type Kind = 'image' | 'json' | 'csv' | 'text' | 'other';
function kindOf(path: string): Kind {
  if (IMAGE.test(path)) return 'image';
  if (/\.(json|ipynb)$/i.test(path)) return 'json';
  if (/\.(csv|tsv)$/i.test(path)) return 'csv';
  if (TEXT.test(path) || !/\.[^/]+$/.test(path)) return 'text';
  return 'other';
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** The run's artifact root as a key of the artifact proxy (mlflow-artifacts:/<key>), if it is one. */
const proxyRoot = (artifactUri: string | undefined): string | undefined => {
  const m = /^mlflow-artifacts:\/+(.*?)\/*$/.exec(artifactUri ?? '');
  return m ? m[1] : undefined;
};
const downloadPath = (root: string, path: string) => `mlflow-artifacts/artifacts/${[...root.split('/'), ...path.split('/')].filter(Boolean).map(encodeURIComponent).join('/')}`;

async function listAll(runId: string, path: string): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await api.get<{ files?: FileInfo[]; next_page_token?: string }>('mlflow/artifacts/list', { run_id: runId, ...(path ? { path } : {}), page_token: token });
    files.push(...(res.files ?? []));
    token = res.next_page_token;
    if (!token) break;
  }
  return files.sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path));
}

/** The run's artifacts: a lazily listed tree, sizes, download, and an inline preview of the selected file. */
export function ArtifactsBrowser({ runId, artifactUri }: { runId: string; artifactUri?: string }) {
  const { query } = useLocation();
  const selected = query.get('artifact') ?? '';
  const root = proxyRoot(artifactUri);
  const [sizes, setSizes] = useState<Record<string, number>>({});
  const onSelect = (f: FileInfo) => {
    setSizes((s) => ({ ...s, [f.path]: Number(f.file_size ?? 0) }));
    setQuery({ artifact: f.path });
  };
  return (
    <section aria-labelledby="artifacts">
      <h2 id="artifacts">Artifacts</h2>
      <div className="artifacts">
        <nav className="artifact-tree" aria-label="Artifact files">
          <Directory runId={runId} path="" depth={0} selected={selected} onSelect={onSelect} />
        </nav>
        <div className="artifact-preview" aria-live="polite">
          {selected ? <Preview key={selected} root={root} path={selected} size={sizes[selected]} /> : <Empty>Select a file to preview it.</Empty>}
        </div>
      </div>
    </section>
  );
}

function Directory({ runId, path, depth, selected, onSelect }: { runId: string; path: string; depth: number; selected: string; onSelect: (f: FileInfo) => void }) {
  const listing = useQuery({ queryKey: ['artifacts', runId, path], queryFn: () => listAll(runId, path) });
  if (listing.isPending) return <Loading what={path || 'artifacts'} />;
  if (listing.isError) return <ErrorState error={listing.error} />;
  if (listing.data.length === 0) return depth === 0 ? <Empty>No artifacts: log some with mlflow.log_artifact().</Empty> : <p className="dim">Empty folder.</p>;
  return (
    <ul role={depth === 0 ? 'tree' : 'group'} aria-label={depth === 0 ? 'Artifacts' : undefined}>
      {listing.data.map((f) =>
        f.is_dir ? (
          <Folder key={f.path} runId={runId} file={f} depth={depth} selected={selected} onSelect={onSelect} />
        ) : (
          <File key={f.path} file={f} selected={selected} onSelect={onSelect} />
        ),
      )}
    </ul>
  );
}

function Folder({ runId, file, depth, selected, onSelect }: { runId: string; file: FileInfo; depth: number; selected: string; onSelect: (f: FileInfo) => void }) {
  const [open, setOpen] = useState(selected.startsWith(file.path + '/'));
  return (
    <li role="treeitem" aria-expanded={open} aria-selected={false}>
      <button type="button" className="tree-item" onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> {baseName(file.path)}/
      </button>
      {open && <Directory runId={runId} path={file.path} depth={depth + 1} selected={selected} onSelect={onSelect} />}
    </li>
  );
}

function File({ file, selected, onSelect }: { file: FileInfo; selected: string; onSelect: (f: FileInfo) => void }) {
  const size = Number(file.file_size ?? 0);
  return (
    <li role="treeitem" aria-selected={selected === file.path}>
      <button type="button" className={`tree-item${selected === file.path ? ' current' : ''}`} onClick={() => onSelect(file)}>
        {baseName(file.path)} <span className="dim">{formatBytes(size)}</span>
      </button>
    </li>
  );
}

async function download(root: string, path: string): Promise<void> {
  const { blob } = await api.blob(downloadPath(root, path));
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = baseName(path);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Preview({ root, path, size }: { root: string | undefined; path: string; size: number | undefined }) {
  const kind = kindOf(path);
  const [downloadError, setDownloadError] = useState<unknown>(undefined);
  const tooBig = kind === 'image' && size !== undefined && size > IMAGE_PREVIEW_BYTES;
  const content = useQuery({
    queryKey: ['artifact-preview', root, path],
    enabled: root !== undefined && kind !== 'other' && !tooBig,
    queryFn: async () => {
      const { blob, total } = await api.blob(downloadPath(root!, path), kind === 'image' ? {} : { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` });
      return { blob, total, text: kind === 'image' ? '' : await blob.text() };
    },
    staleTime: 60_000,
  });
  return (
    <div className="preview">
      <div className="preview-head">
        <h3>{path}</h3>
        {(size ?? content.data?.total) !== undefined && <span className="dim">{formatBytes(size ?? content.data?.total)}</span>}
        {root !== undefined && (
          <button type="button" onClick={() => download(root, path).catch(setDownloadError)}>
            Download
          </button>
        )}
      </div>
      {downloadError !== undefined && <ErrorState error={downloadError} />}
      {root === undefined ? (
        <Empty>This run&apos;s artifacts are not behind the service&apos;s artifact proxy, so they cannot be previewed here.</Empty>
      ) : kind === 'other' ? (
        <Empty>No preview for this file type: download it.</Empty>
      ) : tooBig ? (
        <Empty>This image is larger than {formatBytes(IMAGE_PREVIEW_BYTES)}: download it.</Empty>
      ) : content.isPending ? (
        <Loading what={baseName(path)} />
      ) : content.isError ? (
        <ErrorState error={content.error} />
      ) : kind === 'image' ? (
        <ImagePreview blob={content.data.blob} alt={path} />
      ) : (
        <TextPreview text={content.data.text} partial={(content.data.total ?? 0) > content.data.blob.size} kind={kind} tsv={/\.tsv$/i.test(path)} />
      )}
    </div>
  );
}

function ImagePreview({ blob, alt }: { blob: Blob; alt: string }) {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return <img className="artifact-image" src={url} alt={alt} />;
}

function TextPreview({ text, partial, kind, tsv }: { text: string; partial: boolean; kind: Kind; tsv: boolean }) {
  const note = partial ? <p className="dim">Showing the first {formatBytes(TEXT_PREVIEW_BYTES)}; download the file for all of it.</p> : null;
  if (kind === 'csv') {
    const rows = parseCsv(text, CSV_ROWS + 1, tsv ? '\t' : ',');
    const [head, ...body] = rows;
    return (
      <>
        <div className="scroll-x">
          <table className="grid" aria-label="CSV preview">
            <thead>
              <tr>
                {(head ?? []).map((h, i) => (
                  <th scope="col" key={i}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j}>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="dim">First {body.length} rows.</p>
        {note}
      </>
    );
  }
  let shown = text;
  if (kind === 'json' && !partial) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not valid JSON: shown as it is.
    }
  }
  return (
    <>
      <pre className="artifact-text" tabIndex={0} aria-label="File contents">
        {shown}
      </pre>
      {note}
    </>
  );
}

/** RFC 4180-ish: quoted fields with "" escapes and embedded separators/newlines; stops after `limit` rows. */
export function parseCsv(text: string, limit: number, sep = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if ((field !== '' || row.length > 0) && rows.length < limit) rows.push([...row, field]);
  return rows;
}
