import { RegistryError } from '../errors';
import { outsideOwners } from '../modules/artifacts/artifact-access';
import type { PermissionsService } from '../modules/permissions/permissions.service';
import type { Principal } from './principal';
import type { AnyRoute, Authorizer, Found } from './route-table';

/**
 * The one authorization step: before a row's handler runs, it checks what the row's `access`
 * says. A `resource` row finds its resource (404 when absent) and needs the row's level on it;
 * the caller's level is handed to the handler, for the services' further rules (the row's
 * `refine`). `each` rows are filtered in the service's SQL; `token` rows need only the token.
 */
export function createAuthorizer(permissions: PermissionsService): Authorizer {
  const check = async (row: AnyRoute, p: Principal, found: Found) => {
    const access = row.access as Extract<AnyRoute['access'], { kind: 'resource' }>;
    if (found.adminOnly) {
      if (!p.isAdmin) throw found.denial ? new RegistryError('PERMISSION_DENIED', found.denial) : outsideOwners(p, found.what);
      return { ...found, level: 'MANAGE' as const };
    }
    const type = found.type ?? (access.type === 'owner' ? undefined : access.type);
    if (type === undefined) throw new Error(`Route ${row.key}: its finder named no resource type`);
    return { ...found, level: await permissions.require(p, type, found.id, access.level, found.what, found.grants) };
  };
  return async (row, input, p) => {
    const access = row.access;
    switch (access.kind) {
      case 'token':
      case 'each':
        return undefined;
      case 'admin':
        if (!p.isAdmin) throw new RegistryError('PERMISSION_DENIED', `Permission denied: user '${p.subject}' needs an admin token for ${row.key}.`);
        return undefined;
      case 'resource': {
        const found = await access.on.find(input, p);
        if (!Array.isArray(found)) return check(row, p, found as Found);
        let first;
        for (const each of found as readonly Found[]) {
          const granted = await check(row, p, each);
          first ??= granted;
        }
        return first;
      }
    }
  };
}
