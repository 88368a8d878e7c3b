import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api';

interface Column {
  name?: string;
  type?: string;
}

/** The `signature:` block of an MLmodel file (inputs/outputs are JSON strings in MLflow's YAML). */
export function parseSignature(mlmodel: string): { inputs: Column[]; outputs: Column[] } | undefined {
  const lines = mlmodel.split(/\r?\n/);
  const start = lines.findIndex((l) => /^signature:\s*$/.test(l));
  if (start < 0) return undefined;
  const out: { inputs: Column[]; outputs: Column[] } = { inputs: [], outputs: [] };
  for (const line of lines.slice(start + 1)) {
    if (!/^\s/.test(line)) break;
    const m = /^\s+(inputs|outputs):\s*(.*)$/.exec(line);
    if (!m) continue;
    let raw = m[2]!.trim();
    if (raw.startsWith("'") && raw.endsWith("'")) raw = raw.slice(1, -1).replace(/''/g, "'");
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) out[m[1] as 'inputs' | 'outputs'] = parsed.filter((c): c is Column => typeof c === 'object' && c !== null);
    } catch {
      // Not MLflow's JSON form: left out.
    }
  }
  return out;
}

const colText = (c: Column) => `${c.name ?? '(unnamed)'}: ${c.type ?? '?'}`;

/** The version's MLmodel signature, read through the artifact proxy when its source is there. */
export function Signature({ source }: { source: string | undefined }) {
  const key = /^mlflow-artifacts:\/+(.*?)\/*$/.exec(source ?? '')?.[1];
  const mlmodel = useQuery({
    queryKey: ['mlmodel', key],
    enabled: key !== undefined,
    queryFn: async () => {
      try {
        const path = `mlflow-artifacts/artifacts/${[...key!.split('/'), 'MLmodel'].filter(Boolean).map(encodeURIComponent).join('/')}`;
        return await (await api.blob(path)).blob.text();
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return '';
        throw e;
      }
    },
  });
  if (key === undefined || !mlmodel.data) return null;
  const sig = parseSignature(mlmodel.data);
  if (!sig) return null;
  return (
    <section aria-labelledby="signature">
      <h2 id="signature">Signature</h2>
      <table className="grid" aria-label="Signature">
        <tbody>
          <tr>
            <th scope="row">Inputs</th>
            <td>{sig.inputs.map(colText).join(', ') || '—'}</td>
          </tr>
          <tr>
            <th scope="row">Outputs</th>
            <td>{sig.outputs.map(colText).join(', ') || '—'}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
