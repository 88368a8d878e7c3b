/** A minimal JSON client for the benchmark, failing loudly on any non-2xx answer. */
export class BenchClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  get headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' };
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', `/api/2.0/mlflow/${path}`, body);
  }

  get<T = unknown>(path: string, query: Record<string, string>): Promise<T> {
    return this.call<T>('GET', `/api/2.0/mlflow/${path}?${new URLSearchParams(query).toString()}`);
  }
}
