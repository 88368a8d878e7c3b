// The few calls of the registry's public REST API the example makes (MLflow's REST API and the
// artifact proxy), with fetch and a bearer token: what any client in any language would do.

export class RegistryClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/2.0/mlflow/${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await res.json().catch(() => ({}))) as T & { error_code?: string; message?: string };
    if (!res.ok) throw new RegistryCallError(`${method} ${path} answered ${res.status} ${answer.error_code ?? ''}: ${answer.message ?? ''}`, answer.error_code);
    return answer;
  }

  async experimentId(name: string): Promise<string> {
    try {
      return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name })).experiment_id;
    } catch (err) {
      if (!(err instanceof RegistryCallError) || err.code !== 'RESOURCE_ALREADY_EXISTS') throw err;
      const q = new URLSearchParams({ experiment_name: name });
      return (await this.call<{ experiment: { experiment_id: string } }>('GET', `experiments/get-by-name?${q.toString()}`)).experiment.experiment_id;
    }
  }

  async startRun(experimentId: string, runName: string): Promise<{ runId: string; artifactUri: string }> {
    const { run } = await this.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: Date.now(),
    });
    return { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
  }

  async logBatch(runId: string, params: Record<string, string>, metrics: Record<string, number>): Promise<void> {
    const timestamp = Date.now();
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp, step: 0 })),
    });
  }

  /** Uploads one file under the run's artifacts through the server's artifact proxy. */
  async logArtifact(artifactUri: string, path: string, body: Buffer): Promise<void> {
    const root = artifactUri.replace(/^mlflow-artifacts:(\/\/[^/]*)?\/?/, '');
    const res = await fetch(`${this.url}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/octet-stream' },
      body,
    });
    if (!res.ok) throw new RegistryCallError(`PUT artifact ${path} answered ${res.status}: ${await res.text()}`);
  }

  async endRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  }

  async ensureModel(name: string, description: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/create', { name, description });
    } catch (err) {
      if (!(err instanceof RegistryCallError) || err.code !== 'RESOURCE_ALREADY_EXISTS') throw err;
    }
  }

  async createVersion(name: string, runId: string, description: string): Promise<string> {
    const { model_version } = await this.call<{ model_version: { version: string } }>('POST', 'model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId, description });
    return model_version.version;
  }

  async promote(name: string, version: string): Promise<void> {
    await this.call('POST', 'model-versions/transition-stage', { name, version, stage: 'Production', archive_existing_versions: true });
  }

  /** Gives `username` USE on the model: what a serving job needs, and nothing more. */
  async grantUse(name: string, username: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/permissions/create', { name, username, permission: 'USE' });
    } catch (err) {
      if (!(err instanceof RegistryCallError) || err.code !== 'RESOURCE_ALREADY_EXISTS') throw err;
      await this.call('PATCH', 'registered-models/permissions/update', { name, username, permission: 'USE' });
    }
  }
}

export class RegistryCallError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
