import { declaredRules } from '../helpers/routes';
import { EXPERIMENT_BUILDERS } from './permissions-matrix/experiment-builders';
import { NOT_YET_IN_MATRIX } from './permissions-matrix/harness';
import { MODEL_BUILDERS } from './permissions-matrix/model-builders';
import { GOVERNANCE_BUILDERS } from './permissions-matrix/governance-builders';
import { SERVING_BUILDERS } from './permissions-matrix/serving-builders';
import { WEBHOOK_BUILDERS } from './permissions-matrix/webhook-builders';

// Reads the builders of the matrix files without starting an app.
const FILES = [EXPERIMENT_BUILDERS, MODEL_BUILDERS, GOVERNANCE_BUILDERS, SERVING_BUILDERS, WEBHOOK_BUILDERS];

it('has a request for every rule of the route table', () => {
  const keys = declaredRules().map((r) => r.key);
  const filesOf = (key: string) => FILES.filter((builders) => builders[key]).length;
  // In exactly one file: a rule in none is untested, one in both would be tested twice.
  expect({ missing: keys.filter((k) => filesOf(k) === 0), inBoth: keys.filter((k) => filesOf(k) > 1) }).toEqual({ missing: NOT_YET_IN_MATRIX, inBoth: [] });
});

it('has no request for a rule the table no longer has', () => {
  const keys = new Set(declaredRules().map((r) => r.key));
  expect(FILES.flatMap((builders) => Object.keys(builders)).filter((k) => !keys.has(k))).toEqual([]);
});
