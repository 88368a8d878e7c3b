import { RegistryError } from '../../../errors';

/**
 * A scoring request as MLflow's scoring server reads it (mlflow/pyfunc/scoring_server):
 * - `frame`: a table (`dataframe_split`, `dataframe_records`, `text/csv`); `columns` undefined when
 *   the request named none (`dataframe_split` without `columns`);
 * - `tensor`: one unnamed tensor (`instances` or `inputs` holding an array of rows);
 * - `named`: named tensors (`inputs` holding an object, `instances` holding a list of objects).
 */
export type ScoringInput = { kind: 'frame'; columns: string[] | undefined; rows: unknown[][] } | { kind: 'tensor'; value: unknown[] } | { kind: 'named'; tensors: Record<string, unknown> };

export interface ScoringRequest {
  input: ScoringInput;
  /** `params`, passed through: ONNX models take none, so they are only checked to be an object. */
  params: Record<string, unknown> | undefined;
}

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields {${FORMATS.map((f) => `'${f}'`).join(', ')}}`;

export const CONTENT_TYPES = ['text/csv', 'application/json'] as const;

const badRequest = (message: string) => new RegistryError('BAD_REQUEST', message);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a request body by its Content-Type, as MLflow's `invocations()` does: `application/json`
 * or `text/csv`, UTF-8 only; anything else is a 415.
 */
export function parseScoringRequest(contentType: string | undefined, body: Buffer): ScoringRequest {
  const [mime = '', ...parameters] = (contentType ?? '').split(';').map((s) => s.trim());
  for (const p of parameters) {
    const [key = '', value = ''] = p.split('=').map((s) => s.trim());
    if (key.toLowerCase() !== 'charset') throw new RegistryError('BAD_REQUEST', `Unrecognized content type parameters: ${key}.`, { status: 415 });
    if (value.replace(/"/g, '').toLowerCase() !== 'utf-8') throw new RegistryError('BAD_REQUEST', 'The scoring server only supports UTF-8', { status: 415 });
  }
  const text = body.toString('utf8');
  switch (mime.toLowerCase()) {
    case 'application/json':
      return parseJsonRequest(text);
    case 'text/csv':
      return { input: parseCsv(text), params: undefined };
    default:
      throw new RegistryError(
        'BAD_REQUEST',
        `This predictor only supports the following content types: Types: ${JSON.stringify(CONTENT_TYPES)}. Got '${(contentType ?? '').slice(0, 100)}'.`,
        {
          status: 415,
        },
      );
  }
}

function parseJsonRequest(text: string): ScoringRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw badRequest(`Failed to parse input from JSON. Ensure that input is a valid JSON formatted string. Error: '${(err as Error).message}'.`);
  }
  if (!isRecord(doc)) throw badRequest(`${REQUIRED_INPUT_FORMAT}. Received ${Array.isArray(doc) ? 'a list' : `unexpected input type '${doc === null ? 'null' : typeof doc}'`}.`);
  const keys = Object.keys(doc);
  const formats = FORMATS.filter((f) => f in doc);
  if (formats.length !== 1) throw badRequest(`${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: ${JSON.stringify(keys)}.`);
  const params = doc.params;
  if (params !== undefined && params !== null && !isRecord(params)) throw badRequest("'params' must be a JSON object.");
  const format = formats[0]!;
  const data = doc[format];
  return { input: parseFormat(format, data), params: isRecord(params) ? params : undefined };
}

function parseFormat(format: (typeof FORMATS)[number], data: unknown): ScoringInput {
  switch (format) {
    case 'dataframe_split': {
      if (!isRecord(data) || !Array.isArray(data.data)) throw badRequest("'dataframe_split' must be an object with 'data' (a list of rows) and optionally 'columns'.");
      const columns = data.columns;
      if (columns !== undefined && (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string'))) throw badRequest("'dataframe_split.columns' must be a list of strings.");
      const rows = data.data.map((row: unknown, i) => {
        if (Array.isArray(row)) return row as unknown[];
        // pandas reads a list of scalars as one column
        if (columns === undefined || columns.length === 1) return [row];
        throw badRequest(`'dataframe_split.data' row ${i} is not a list.`);
      });
      const width = columns?.length ?? rows[0]?.length ?? 0;
      rows.forEach((row, i) => {
        if (row.length !== width)
          throw badRequest(`'dataframe_split.data' row ${i} has ${row.length} values; expected ${width}${columns ? ` (one per column of ${JSON.stringify(columns)})` : ''}.`);
      });
      return { kind: 'frame', columns: columns, rows };
    }
    case 'dataframe_records': {
      if (!Array.isArray(data)) throw badRequest("'dataframe_records' must be a list of records (objects from column name to value).");
      const columns: string[] = [];
      const seen = new Set<string>();
      data.forEach((record: unknown, i) => {
        if (!isRecord(record)) throw badRequest(`'dataframe_records' item ${i} is not an object.`);
        for (const k of Object.keys(record)) {
          if (!seen.has(k)) {
            seen.add(k);
            columns.push(k);
          }
        }
      });
      const rows = (data as Record<string, unknown>[]).map((r) => columns.map((c) => r[c]));
      return { kind: 'frame', columns, rows };
    }
    case 'instances':
    case 'inputs': {
      if (Array.isArray(data)) {
        if (data.length > 0 && data.every(isRecord)) {
          // TF serving's row format: a list of {name: value}, stacked per name.
          const tensors: Record<string, unknown[]> = {};
          const names = Object.keys(data[0] as object);
          for (const name of names)
            tensors[name] = data.map((d, i) => {
              if (!(name in d)) throw badRequest(`'${format}' item ${i} has no '${name}', which item 0 has.`);
              return d[name];
            });
          return { kind: 'named', tensors };
        }
        return { kind: 'tensor', value: data };
      }
      if (isRecord(data)) return { kind: 'named', tensors: data };
      throw badRequest(`'${format}' must be a list (one tensor) or an object (named tensors).`);
    }
  }
}

/**
 * A CSV table with a header line, as `pandas.read_csv` reads the common cases: RFC 4180 quoting;
 * unquoted fields that look like numbers are numbers, `True`/`False` booleans, empty ones missing.
 */
export function parseCsv(text: string): ScoringInput {
  const records: string[][] = [];
  const quoted: boolean[][] = [];
  let field = '';
  let record: string[] = [];
  let quotes: boolean[] = [];
  let inQuotes = false;
  let wasQuoted = false;
  const endField = () => {
    record.push(field);
    quotes.push(wasQuoted);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === '' && !quotes[0])) {
      records.push(record);
      quoted.push(quotes);
    }
    record = [];
    quotes = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else field += ch;
    } else if (ch === '"') {
      inQuotes = true;
      wasQuoted = true;
    } else if (ch === ',') endField();
    else if (ch === '\n') endRecord();
    else if (ch !== '\r') field += ch;
  }
  if (inQuotes) throw badRequest('Failed to parse input as CSV: a quoted field is not closed.');
  if (field !== '' || record.length > 0) endRecord();
  const [header, ...body] = records;
  if (!header) throw badRequest('Failed to parse input as CSV: no header line.');
  const rows = body.map((r, i) => {
    if (r.length !== header.length) throw badRequest(`Failed to parse input as CSV: line ${i + 2} has ${r.length} fields; the header has ${header.length}.`);
    return r.map((v, j) => (quoted[i + 1]![j] ? v : csvValue(v)));
  });
  return { kind: 'frame', columns: header, rows };
}

function csvValue(v: string): unknown {
  const t = v.trim();
  if (t === '') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'True' || t === 'true') return true;
  if (t === 'False' || t === 'false') return false;
  return v;
}
