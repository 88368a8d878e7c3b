import { ConfigError, loadConfig } from '../../src/config';

// REQUIRE_APPROVAL and APPROVAL_SEPARATION (README "Promotion requests").
describe('approval configuration', () => {
  it('requires nothing and separates requester and approver by default', () => {
    expect(loadConfig({}).approval).toEqual({ required: [], separation: true });
  });

  it('reads stages in any case and `aliases`, canonically and once each', () => {
    expect(loadConfig({ REQUIRE_APPROVAL: ' production, Staging ,ALIASES,Production', APPROVAL_SEPARATION: 'false' }).approval).toEqual({
      required: ['Production', 'Staging', 'aliases'],
      separation: false,
    });
  });

  it('refuses an unknown item, naming the variable and what it takes', () => {
    expect(() => loadConfig({ REQUIRE_APPROVAL: 'Production,QA' })).toThrow(ConfigError);
    expect(() => loadConfig({ REQUIRE_APPROVAL: 'Production,QA' })).toThrow(/REQUIRE_APPROVAL: must be a comma-separated list of Staging, Production, Archived, aliases/);
  });
});
