import type { Principal } from '../../http/principal';
import type { PermissionRule } from '../../http/route-table';
import { atLeast, type Level, type ResourceType } from './permission-levels';

export interface EffectiveOperation {
  key: string;
  method: string;
  path: string;
  required_level: Level;
  allowed: boolean;
  when?: string;
}

/**
 * What the caller may do on one resource, read off the route table's permission rules (the same
 * rules the authorization step enforces): every rule on that resource type, and on the artifacts it
 * owns, with whether the caller's level meets it. The web UI shows or disables its controls by it.
 */
export function effectiveOperations(rules: readonly PermissionRule[], type: ResourceType, level: Level, p: Principal): EffectiveOperation[] {
  return rules
    .filter((r) => r.type === type || r.type === 'owner')
    .map((r) => ({
      key: r.key,
      method: r.method,
      path: r.path,
      required_level: r.level,
      allowed: p.isAdmin || atLeast(level, r.level),
      ...(r.when !== undefined ? { when: r.when } : {}),
    }));
}
