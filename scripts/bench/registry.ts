// The registry rows and the rows of a non-admin caller whose access comes from a group grant.
import { randomBytes } from 'node:crypto';
import { mintToken } from '../../src/lib/tokens';
import { cannon } from './children';
import { BenchClient } from './client';
import type { Figure } from './table';
import { type Log, type Target, cannonFigure, searchExperiment } from './workloads';

export const GROUP = 'bench-readers';

/** What a non-admin caller uses: its client, and the registered models it may read and edit. */
export interface Caller {
  api: BenchClient;
  models: string[];
  /** The token's subject and groups, for minting one per request; undefined without the secret. */
  identity?: { subject: string; groups: string[] };
  /** What the caller is, for the table. */
  note: string;
}

/**
 * Registered models on the target and, when the target's signing secret is known (our scratch
 * servers), a non-admin token whose only access is a group grant made through the API: EDIT on each
 * model, READ on the search experiment. Without the secret (MLflow, which has no group grants) the
 * caller is the target's own token: MLflow's GET does the same database work for any caller.
 */
export async function nonAdminCaller(t: Target, count: number, log: Log): Promise<Caller> {
  const stamp = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const models = Array.from({ length: count }, (_, i) => `bench-group-${stamp}-${i}`);
  log(`creating ${count} registered models on ${t.api.baseUrl}${t.secret ? ' and granting them to a group' : ''}`);
  for (const name of models) await t.api.post('registered-models/create', { name, description: 'benchmark' });
  const experimentId = await searchExperiment(t, log);
  if (!t.secret) return { api: t.api, models, note: 'the server’s own token' };
  for (const name of models) await t.api.post('registered-models/permissions/create', { name, group: GROUP, permission: 'EDIT' });
  await t.api.post('experiments/permissions/create', { experiment_id: experimentId, group: GROUP, permission: 'READ' });
  const identity = { subject: `bench-user-${stamp}`, groups: [GROUP] };
  const token = mintToken({ secret: t.secret, ...identity, ttl: '2h' });
  return { api: new BenchClient(t.api.baseUrl, token), models, identity, note: 'non-admin, group grant' };
}

const getUrl = (api: BenchClient, name: string) => `${api.baseUrl}/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(name)}`;

/** GET of one registered model from 50 connections, as `api`'s caller. */
export async function concurrentGetModel(api: BenchClient, name: string, seconds: number, log: Log): Promise<Figure> {
  log(`GET of a registered model, 50 connections, ${seconds} s, on ${api.baseUrl}`);
  return cannonFigure(await cannon({ url: getUrl(api, name), connections: 50, duration: seconds, headers: api.headers }));
}

/** An admin's GET of a model made for it: the row kept from before the honest rows. */
export async function adminGetModel(t: Target, seconds: number, log: Log): Promise<Figure> {
  const name = `bench-model-${Date.now()}-${randomBytes(3).toString('hex')}`;
  await t.api.post('registered-models/create', { name, description: 'benchmark' });
  return concurrentGetModel(t.api, name, seconds, log);
}

/** 9 GETs then 1 description update, in turn, over the caller's models, from 50 connections. */
export async function mixedReadWrite(caller: Caller, seconds: number, log: Log): Promise<Figure> {
  log(`90 % registered-models/get, 10 % registered-models/update, 50 connections, ${seconds} s, on ${caller.api.baseUrl}`);
  const r = await cannon({
    url: `${caller.api.baseUrl}/api/2.0/mlflow/registered-models/get`,
    connections: 50,
    duration: seconds,
    headers: caller.api.headers,
    mixedModels: caller.models,
  });
  return cannonFigure(r, `; ${caller.models.length} models`);
}

/**
 * The same GET with a token signed for each request (cannon.ts mints it, the secret in its
 * environment): every request pays the signature check and claim parsing a cached token skips.
 */
export async function freshTokenGetModel(t: Target, caller: Caller, seconds: number, log: Log): Promise<Figure | string> {
  if (!t.secret || !caller.identity) return 'not measured: minting tokens needs the server’s JWT secret';
  log(`GET of a registered model with a new token per request, 50 connections, ${seconds} s, on ${t.api.baseUrl}`);
  const r = await cannon({ url: getUrl(caller.api, caller.models[0]!), connections: 50, duration: seconds, freshTokens: caller.identity }, t.secret);
  return cannonFigure(r, '; a token signed per request');
}
