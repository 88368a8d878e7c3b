import { atLeast, forResourceType, highest, LEVELS, parseLevel } from '../../src/modules/permissions/permission-levels';

describe('permission levels', () => {
  it('orders the levels from NO_PERMISSIONS to MANAGE', () => {
    expect(LEVELS).toEqual(['NO_PERMISSIONS', 'USE', 'READ', 'EDIT', 'MANAGE_STAGING', 'MANAGE_PRODUCTION', 'MANAGE']);
    expect(atLeast('MANAGE_PRODUCTION', 'MANAGE_STAGING')).toBe(true);
    expect(atLeast('EDIT', 'MANAGE_STAGING')).toBe(false);
    expect(atLeast('USE', 'READ')).toBe(false);
  });

  it('picks the highest of several grants, and none from an empty list', () => {
    expect(highest(['READ', 'MANAGE_STAGING', 'USE'])).toBe('MANAGE_STAGING');
    expect(highest([])).toBeUndefined();
  });

  it.each([
    ['read', 'registered_model', 'READ'],
    [' CAN_MANAGE_PRODUCTION_VERSIONS ', 'registered_model', 'MANAGE_PRODUCTION'],
    ['CAN_MANAGE_STAGING_VERSIONS', 'registered_model', 'MANAGE_STAGING'],
    ['CAN_USE', 'registered_model', 'USE'],
    ['CAN_EDIT', 'experiment', 'EDIT'],
    ['can_manage', 'experiment', 'MANAGE'],
    ['NO_PERMISSIONS', 'experiment', 'NO_PERMISSIONS'],
  ] as const)('parses %j for a %s as %s', (name, type, level) => {
    expect(parseLevel(name, type)).toBe(level);
  });

  it.each([
    ['USE', 'experiment'],
    ['MANAGE_STAGING', 'experiment'],
    ['OWNER', 'registered_model'],
    ['', 'registered_model'],
  ] as const)('rejects %j for a %s with INVALID_PARAMETER_VALUE', (name, type) => {
    expect(() => parseLevel(name, type)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('maps a model-only default level onto experiments', () => {
    expect(forResourceType('USE', 'experiment')).toBe('NO_PERMISSIONS');
    expect(forResourceType('MANAGE_PRODUCTION', 'experiment')).toBe('EDIT');
    expect(forResourceType('READ', 'experiment')).toBe('READ');
    expect(forResourceType('USE', 'registered_model')).toBe('USE');
  });
});
