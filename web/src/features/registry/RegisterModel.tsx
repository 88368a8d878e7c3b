import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorState } from '../../components/States';
import { api, ApiError } from '../../lib/api';
import type { ApiModelVersion, ApiRun } from '../../lib/mlflow';
import { navigate } from '../../lib/router';
import { versionPath } from './ModelPage';

/** Registers a folder of a run's artifacts as a new version of a (new or existing) registered model. */
export function RegisterModel({ run }: { run: ApiRun }) {
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('model');
  const register = useMutation({
    mutationFn: async () => {
      try {
        await api.post('mlflow/registered-models/create', { name: name.trim() });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      }
      const source = `${(run.info.artifact_uri ?? '').replace(/\/+$/, '')}/${folder.trim().replace(/^\/+|\/+$/g, '')}`;
      return api.post<{ model_version: ApiModelVersion }>('mlflow/model-versions/create', { name: name.trim(), source, run_id: run.info.run_id });
    },
    onSuccess: ({ model_version }) => navigate(versionPath(model_version.name, model_version.version)),
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && folder.trim()) register.mutate();
  };
  return (
    <section aria-labelledby="register">
      <h2 id="register">Register a model</h2>
      <form className="inline" onSubmit={onSubmit}>
        <label htmlFor="register-folder">Artifact folder</label>
        <input id="register-folder" value={folder} onChange={(e) => setFolder(e.target.value)} />
        <label htmlFor="register-name">Model name</label>
        <input id="register-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="new or existing model" />
        <button type="submit" disabled={register.isPending || !name.trim() || !folder.trim()}>
          Register
        </button>
      </form>
      {register.isError && <ErrorState error={register.error} />}
    </section>
  );
}
