import type request from 'supertest';
import type { PermissionRule } from '../../../src/http/route-table';
import { atLeast, EXPERIMENT_LEVELS, type Level, MODEL_LEVELS } from '../../../src/modules/permissions/permission-levels';
import { declaredRules } from '../../helpers/routes';
import type { ApiClient, TestApp } from '../../helpers/test-app';

// Every permission rule of the route table (permissionRules) × every level of its resource type:
// at or above the table's level the request succeeds (the exact 2xx the endpoint answers, and
// what it changed), below it 403 PERMISSION_DENIED. Each row has a real resource behind it: a
// row whose success needs set-up (a version in a stage, an alias, a file) gets it, and a row that
// changes what it acts on gets its own experiment, run or model, so rows never disturb each other.
// The rows are split by resource over the permissions-matrix-*.test.ts files, each on its own app;
// permissions-matrix-coverage.test.ts checks that together they call every rule.
export const M = '/api/2.0/mlflow';
export const MA = '/api/2.0/mlflow-artifacts';
export const A = `${MA}/artifacts`;
export const R = '/api/2.0/registry';

export interface Fixtures {
  t: TestApp;
  admin: ApiClient;
  /** Shared, never changed by any row: experiment mx-main, its run with metric m and files, a logged model with a file. */
  exp: string;
  run: string;
  runArtifactUri: string;
  loggedModel: string;
  /** Shared registered model 'mx', never changed in ways another row reads: v1 in None, v2 in Production with files and alias 'current'. */
  mx: string;
}
/**
 * The shared resources of the running test file, set in its beforeAll (before any builder runs).
 * Each file sets only what its builders read.
 */
export const fx = {} as Fixtures;

let seq = 0;
export const next = () => ++seq;

export interface Case {
  user: string;
  level: Level;
}
export interface Target {
  resourceId: string;
  /** `c` is the caller's client; `who` says who it is (a row that names the caller, e.g. reading one's own grant). */
  call(c: ApiClient, who: Case): request.Test;
  /** Asserts the response of an allowed level (exact status and body) and, where cheap, the effect. */
  allowed(res: request.Response, c: Case): Promise<void> | void;
}
export type Builder = () => Promise<Target>;
/** The rows of one test file, keyed by the rule key of the route table. */
export type Builders = Record<string, Builder>;

/** Status and body together, so a failing row shows what the server answered. */
export function expectOk(res: request.Response, body: unknown = {}, status = 200): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
}

/** A multipart/form-data POST by `c` (attach the files to it). */
export const form = (c: ApiClient, path: string) => fx.t.http.post(path).set('Authorization', `Bearer ${c.token}`);
export const keysOf = (tags: Array<{ key: string }> | undefined) => (tags ?? []).map((x) => x.key);
/** The levels stored for `principal` on the resource (none, or one). */
export async function grantLevels(resourceType: 'experiment' | 'registered_model', resourceId: string, principal: string): Promise<string[]> {
  return (await fx.t.container.prisma.permissionGrant.findMany({ where: { resourceType, resourceId, principal } })).map((g) => g.level);
}

export const onExp =
  (call: Target['call'], allowed: Target['allowed']): Builder =>
  async () => ({ resourceId: fx.exp, call, allowed });
export const onModel =
  (call: Target['call'], allowed: Target['allowed']): Builder =>
  async () => ({ resourceId: fx.mx, call, allowed });

/**
 * Rules of the table the matrix does not call itself. A new row fails the coverage test until it
 * has a builder in one of the files or a line in this list.
 */
export const NOT_YET_IN_MATRIX = [
  // Its cases registry.audit.experiment and registry.audit.model are the two resources it acts on.
  'registry.audit',
];

/** Artifact keys name their owner; every artifact row of the matrix acts on keys of an experiment. */
const typeOf = (rule: PermissionRule): 'experiment' | 'registered_model' => (rule.type === 'owner' ? 'experiment' : rule.type);

/** Declares one test per rule of the table that `builders` has a row for, × every level of its resource type. */
export function declareMatrixCases(builders: Builders): void {
  const rows = declaredRules().filter((r) => builders[r.key]);
  const cases = rows.flatMap((row) => (typeOf(row) === 'experiment' ? EXPERIMENT_LEVELS : MODEL_LEVELS).map((level) => [row.key, level, row] as const));

  it.each(cases)('%s with %s', async (key, level: Level, row) => {
    const target = await builders[key]!();
    const user = `u-${key}-${level}`;
    await fx.t.container.prisma.permissionGrant.create({
      data: { resourceType: typeOf(row), resourceId: target.resourceId, principalType: 'user', principal: user, level, createdAt: 0n },
    });
    const res = await target.call(fx.t.as(user, {}), { user, level });
    if (atLeast(level, row.level)) {
      await target.allowed(res, { user, level });
    } else {
      expect({ status: res.status, error_code: res.body?.error_code }).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    }
  });
}
