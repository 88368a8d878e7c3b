import { clearToken, getToken } from './session';

/** MLflow's error body ({error_code, message}) as one error type the pages show as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | string[]>;

function urlOf(path: string, query?: Query): URL {
  const url = new URL(`/ajax-api/2.0/${path}`, window.location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  }
  return url;
}

async function send(method: string, url: URL, opts: { body?: unknown; range?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.range) headers.Range = opts.range;
  return fetch(url, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
}

async function call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
  const res = await send(method, urlOf(path, opts.query), opts.body !== undefined ? { body: opts.body } : {});
  return parse<T>(res);
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error_code?: unknown; message?: unknown };
    const err = new ApiError(
      res.status,
      typeof b.error_code === 'string' ? b.error_code : 'HTTP_' + res.status,
      typeof b.message === 'string' ? b.message : `${res.status} ${res.statusText}`,
    );
    // An expired or refused token: back to sign-in, with the API's reason.
    if (res.status === 401) clearToken(err.message);
    throw err;
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>('GET', path, query ? { query } : {}),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, { body }),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, { body }),
  delete: <T>(path: string, body: unknown) => call<T>('DELETE', path, { body }),
  /** Raw bytes (artifacts), with the same error handling; `range` asks for the first bytes only. */
  blob: async (path: string, opts: { range?: string } = {}): Promise<{ blob: Blob; total: number | undefined }> => {
    const res = await send('GET', urlOf(path), opts);
    if (!res.ok) return parse<never>(res);
    const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? res.headers.get('content-length');
    const blob = await res.blob();
    return { blob, total: total ? Number(total) : blob.size };
  },
};

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
