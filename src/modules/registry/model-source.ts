import { invalidParameter } from '../../errors';
import { shown } from '../../lib/shown';
import { artifactKey, keyOfArtifactUri } from '../../storage/artifact-key';
import { canonicalStage } from './stages';

/** What a model-versions/create `source` points at (MLflow's model URIs: runs:/, models:/, mlflow-artifacts:/). */
export type ModelSource =
  | { kind: 'run'; runId: string; path: string }
  | { kind: 'registry'; name: string; selector: VersionSelector }
  | { kind: 'logged-model'; modelId: string }
  /** Served by our artifact proxy; `key` is the store key (experiment id or `registry` first). */
  | { kind: 'proxied'; key: string }
  | { kind: 'external' };

export interface VersionSelector {
  /** Any case; checked and made canonical by the resolver. */
  stage?: string;
  alias?: string;
  version?: number;
  latest?: boolean;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

/**
 * Parses and checks a version source. Rejects traversal ('..' after any amount of percent
 * decoding), NUL, and local paths: a registered local path would let serving clients read the
 * server's disk (MLflow rejects them too unless they sit inside the run's local artifact dir,
 * which never happens here since runs store artifacts behind mlflow-artifacts:/).
 */
export function parseModelSource(source: string, options: { prompt?: boolean } = {}): ModelSource {
  const decoded = fullyDecoded(source);
  if (decoded.includes('\0')) throw badSource(source, 'it contains a NUL character');
  if (decoded.split(/[/\\]/).some((s) => s === '..')) throw badSource(source, "it contains a '..' path segment");
  const scheme = SCHEME.exec(source)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1 || scheme === 'file') {
    // A prompt's version has a placeholder for a source ('dummy-source'), which MLflow accepts as it
    // is. Kept as an external location, it is never read here: only proxied sources are served.
    if (options.prompt) return { kind: 'external' };
    throw badSource(source, 'local paths cannot be registered; log the model to a run and register runs:/<run_id>/<path>');
  }
  if (scheme === 'runs') return parseRunsUri(source);
  if (scheme === 'models') return parseModelsUri(source);
  if (scheme === 'mlflow-artifacts') return { kind: 'proxied', key: keyOfArtifactUri(source) ?? '' };
  return { kind: 'external' };
}

function parseRunsUri(source: string): ModelSource {
  const m = /^runs:\/+([^/]+)(?:\/(.*))?$/i.exec(source);
  if (!m) throw badSource(source, 'expected runs:/<run_id>/<path>');
  const path = (m[2] ?? '').replace(/\/+$/, '');
  return { kind: 'run', runId: m[1]!, path: artifactKey(path, { allowRoot: true }) };
}

/** models:/<name>/<version|stage|latest>, models:/<name>@<alias>, models:/<logged model id>. */
export function parseModelsUri(source: string): ModelSource {
  const path = source.replace(/^models:\/+/i, '');
  const parts = path.split('/');
  if (parts.length === 1) {
    const at = path.lastIndexOf('@');
    if (at > 0 && at < path.length - 1) return { kind: 'registry', name: path.slice(0, at), selector: { alias: path.slice(at + 1) } };
    if (LOGGED_MODEL_ID.test(path)) return { kind: 'logged-model', modelId: path };
  }
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') {
    const [name, suffix] = parts as [string, string];
    if (/^\d+$/.test(suffix)) return { kind: 'registry', name, selector: { version: Number(suffix) } };
    if (suffix.toLowerCase() === 'latest') return { kind: 'registry', name, selector: { latest: true } };
    return { kind: 'registry', name, selector: { stage: canonicalStage(suffix) } };
  }
  throw badSource(source, 'expected models:/<name>/<version|stage|latest> or models:/<name>@<alias>');
}

/** Percent-decodes until stable, byte by byte, so malformed escapes cannot hide a '%2e%2e'. */
function fullyDecoded(s: string): string {
  let current = s;
  for (let i = 0; i < 8; i++) {
    const next = current.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (next === current) return current;
    current = next;
  }
  return current;
}

const badSource = (source: string, why: string) => invalidParameter(`Invalid model version source: '${shown(source)}': ${why}.`);
