import { Pool } from 'undici';

/**
 * A minimal JSON client for the benchmark, failing loudly on any non-2xx answer. undici's keep-alive
 * pool. The sequential rows time client, service and database in turn on the same two cores, so the
 * client's own CPU counts in them: about 0.2 ms per request with this pool, against 0.25-0.27 ms
 * with node:http's keep-alive agent and 0.45 ms with fetch on the bench machine.
 */
export class BenchClient {
  private readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    this.pool = new Pool(baseUrl, { connections: 16 });
  }

  get headers(): Record<string, string> {
    // No token (a reference server without authentication): no Authorization header at all.
    return this.token ? { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' } : { 'Content-Type': 'application/json' };
  }

  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, body === undefined ? undefined : JSON.stringify(body));
  }

  /** A POST of a body already serialised (by a row that keeps composing it out of its timing). */
  postJson<T = unknown>(path: string, json: string): Promise<T> {
    return this.send<T>('POST', `/api/2.0/mlflow/${path}`, json);
  }

  private async send<T>(method: string, path: string, payload: string | undefined): Promise<T> {
    const res = await this.pool.request({ method, path, headers: this.headers, body: payload });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', `/api/2.0/mlflow/${path}`, body);
  }

  get<T = unknown>(path: string, query: Record<string, string>): Promise<T> {
    return this.call<T>('GET', `/api/2.0/mlflow/${path}?${new URLSearchParams(query).toString()}`);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
