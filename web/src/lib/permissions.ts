import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from './api';

/** The service's ordered permission levels (README "Permissions"). */
export const LEVELS = ['NO_PERMISSIONS', 'USE', 'READ', 'EDIT', 'MANAGE_STAGING', 'MANAGE_PRODUCTION', 'MANAGE'] as const;
export type Level = (typeof LEVELS)[number];
export const EXPERIMENT_LEVELS: readonly Level[] = ['READ', 'EDIT', 'MANAGE'];
export const MODEL_LEVELS: readonly Level[] = ['USE', 'READ', 'EDIT', 'MANAGE_STAGING', 'MANAGE_PRODUCTION', 'MANAGE'];

export const atLeast = (have: Level | undefined, need: Level): boolean => have === undefined || LEVELS.indexOf(have) >= LEVELS.indexOf(need);

export type Resource = { experimentId: string } | { modelName: string };

const asLevel = (v: unknown): Level | undefined => (typeof v === 'string' && (LEVELS as readonly string[]).includes(v) ? (v as Level) : undefined);

interface EffectiveBody {
  effective_permission?: { permission_level?: string; is_admin?: boolean; operations?: { key: string; required_level: string; allowed: boolean; when?: string }[] };
}

/**
 * The caller's effective level on an experiment or a registered model, from the API
 * (GET registry/permissions/effective). Display only: the API still checks every request.
 * Undefined while unknown, in which case controls stay enabled and the API's answer is shown.
 * An administrator may do everything, whatever their grant: `level` is then MANAGE.
 */
export function useEffectiveLevel(resource: Resource | undefined): { level: Level | undefined; granted: Level | undefined; isAdmin: boolean } {
  const query = resource === undefined ? {} : 'experimentId' in resource ? { experiment_id: resource.experimentId } : { name: resource.modelName };
  const effective = useQuery({
    queryKey: ['effective', query],
    enabled: resource !== undefined,
    queryFn: async () => {
      try {
        return await api.get<EffectiveBody>('registry/permissions/effective', query);
      } catch (e) {
        // A service without the endpoint: the controls stay enabled and the API decides.
        if (e instanceof ApiError && e.status === 404 && e.code === 'ENDPOINT_NOT_FOUND') return {};
        throw e;
      }
    },
  });
  const body = effective.data?.effective_permission;
  const granted = asLevel(body?.permission_level);
  const isAdmin = body?.is_admin === true;
  return { level: isAdmin ? 'MANAGE' : granted, granted, isAdmin };
}

/** Props for a control that needs `need`: disabled with the reason when the caller's level is lower. */
export function gate(have: Level | undefined, need: Level, what: string): { disabled: boolean; title?: string } {
  if (atLeast(have, need)) return { disabled: false };
  return { disabled: true, title: `Needs ${need} on this ${what} (you have ${have ?? 'NO_PERMISSIONS'})` };
}
