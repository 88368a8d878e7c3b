import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant, transition, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, settled, shot, signedIn, typeIn } from './browser';

/** The model registry in the browser: version page, stage and alias controls by level, audit trail, grants. */
describe(`web UI registry pages in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let modelName: string;
  let runId: string;
  const versionUrl = (v: string) => `/models/${encodeURIComponent(modelName)}/versions/${v}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp();
    const alice = t.as('alice');
    const experimentId = (await alice.post(`${API}/experiments/create`, { name: uniqueName('ui-reg') }).expect(200)).body.experiment_id as string;
    runId = (await alice.post(`${API}/runs/create`, { experiment_id: experimentId, run_name: 'trainer' }).expect(200)).body.run.info.run_id as string;
    modelName = await createModel(alice, uniqueName('ui-reg-model'));
    for (let i = 0; i < 3; i++) await createVersion(alice, modelName, { run_id: runId });
    await transition(alice, modelName, '2', 'Production').expect(200);
    await grant(t, modelName, 'stager', 'MANAGE_STAGING');
    await grant(t, modelName, 'reader', 'READ');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a version, edits its tags and aliases, promotes it to Staging then Production with archiving, and lists the audit entries', async () => {
    const alice = t.as('alice');
    const { context, page } = await signedIn(browser, t, 'alice', 'light', versionUrl('1'));
    await page.getByRole('link', { name: runId }).waitFor();
    await page.getByText('Your permission on this model: MANAGE').waitFor();

    await typeIn(page.getByLabel('Key'), 'validated');
    await typeIn(page.getByLabel('Value'), 'yes');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByRole('table', { name: 'Version tags' }).getByRole('row', { name: 'validated yes' }).waitFor();
    expect((await getVersion(alice, modelName, '1')).tags).toEqual([{ key: 'validated', value: 'yes' }]);

    await typeIn(page.getByLabel('New alias'), 'challenger');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByRole('list', { name: 'Aliases of this version' }).getByText('@challenger').waitFor();
    expect((await getVersion(alice, modelName, '1')).aliases).toEqual(['challenger']);
    await page.getByRole('button', { name: 'Delete alias challenger' }).click();
    await page.getByText('No alias points at this version.').waitFor();
    expect((await getVersion(alice, modelName, '1')).aliases ?? []).toEqual([]);

    await page.getByRole('button', { name: 'Move version 1 to Staging' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('version-stage').getByText('Staging').waitFor();
    await page.getByRole('button', { name: 'Move version 1 to Production' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/archive_existing_versions/).check();
    await dialog.getByText('archive_existing_versions=true').waitFor();
    await shot(page, 'version-confirm-light');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('version-stage').getByText('Production').waitFor();
    expect((await getVersion(alice, modelName, '1')).current_stage).toBe('Production');
    expect((await getVersion(alice, modelName, '2')).current_stage).toBe('Archived');

    const audit = page.getByRole('table', { name: 'Audit trail' });
    await audit.getByRole('row', { name: /alice transition_stage stage: Staging stage: Production/ }).waitFor();
    await audit.getByRole('row', { name: /alice transition_stage stage: None stage: Staging/ }).waitFor();
    // The activity feed follows the moves and alias changes made on the page, in words.
    const feed = page.getByRole('table', { name: 'Activity' });
    const what = async () => (await feed.locator('tbody tr').all()).map((row) => row.locator('td').nth(2).innerText());
    await settled(
      async () => Promise.all(await what()),
      ['Moved from Staging to Production', 'Moved from None to Staging', 'Removed alias challenger from v1', 'Set alias challenger → v1', 'Set a tag', 'Registered version 1'],
    );
    await shot(page, 'version-light');
    await context.close();

    // The model page's trail names the archived version too.
    const dark = await signedIn(browser, t, 'alice', 'dark', `/models/${encodeURIComponent(modelName)}`);
    await dark.page
      .getByRole('table', { name: 'Audit trail' })
      .getByRole('row', { name: /archive_existing_version v2 stage: Production stage: Archived/ })
      .waitFor();
    await shot(dark.page, 'model-dark');
    await dark.context.close();
  });

  it('gives a MANAGE_STAGING user the Staging control and disables Production with the level it needs', async () => {
    const { context, page } = await signedIn(browser, t, 'stager', 'light', versionUrl('3'));
    await page.getByText('Your permission on this model: MANAGE_STAGING').waitFor();
    const production = page.getByRole('button', { name: 'Move version 3 to Production' });
    await expect(production.isDisabled()).resolves.toBe(true);
    await expect(production.getAttribute('title')).resolves.toBe('Needs MANAGE_PRODUCTION on this registered model (you have MANAGE_STAGING)');
    await expect(page.getByRole('button', { name: 'Move version 3 to Archived' }).isDisabled()).resolves.toBe(true);
    await shot(page, 'version-stager-light');
    await page.getByRole('button', { name: 'Move version 3 to Staging' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('version-stage').getByText('Staging').waitFor();
    expect((await getVersion(t.as('alice'), modelName, '3')).current_stage).toBe('Staging');
    // The grants are MANAGE's business: not shown.
    await page.goto(`${t.baseUrl}/models/${encodeURIComponent(modelName)}`);
    await page.getByRole('link', { name: 'v3' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Permissions' }).count()).resolves.toBe(0);
    await context.close();
  });

  it('shows a READ user no edit controls', async () => {
    const { context, page } = await signedIn(browser, t, 'reader', 'dark', versionUrl('3'));
    await page.getByText('Your permission on this model: READ').waitFor();
    await page.getByRole('table', { name: 'Audit trail' }).waitFor();
    for (const name of [/^Move version/, 'Set tag', 'Set alias', /^Delete alias/, /^Remove tag/]) await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
    await shot(page, 'version-reader-dark');
    await page.goto(`${t.baseUrl}/models/${encodeURIComponent(modelName)}`);
    await page.getByRole('link', { name: 'v3' }).waitFor();
    await page.getByText('Your permission on this model: READ').waitFor();
    await expect(page.getByRole('button', { name: /^Move version/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Set tag' }).count()).resolves.toBe(0);
    await context.close();
  });

  it('lets a MANAGE user add, change and remove grants', async () => {
    const alice = t.as('alice');
    const grants = async () =>
      ((await alice.get(`${API}/registered-models/permissions/list`, { name: modelName }).expect(200)).body.permissions ?? []) as { user_id?: string; permission: string }[];
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/models/${encodeURIComponent(modelName)}`);
    const table = page.getByRole('table', { name: 'Grants' });
    await table.getByRole('row', { name: /user stager/ }).waitFor();
    await typeIn(page.getByLabel('User or group name'), 'newbie');
    await page.getByLabel('Level', { exact: true }).selectOption('READ');
    await page.getByRole('button', { name: 'Add grant' }).click();
    await table.getByRole('row', { name: /user newbie/ }).waitFor();
    expect((await grants()).find((g) => g.user_id === 'newbie')?.permission).toBe('READ');
    await page.getByLabel('Level of user newbie').selectOption('EDIT');
    await page.getByLabel('Level of user newbie').waitFor();
    for (let i = 0; i < 50 && (await grants()).find((g) => g.user_id === 'newbie')?.permission !== 'EDIT'; i++) await page.waitForTimeout(100);
    expect((await grants()).find((g) => g.user_id === 'newbie')?.permission).toBe('EDIT');
    await shot(page, 'model-grants-light');
    await page.getByRole('button', { name: 'Remove the grant of user newbie' }).click();
    await table.getByRole('row', { name: /user newbie/ }).waitFor({ state: 'detached' });
    expect((await grants()).some((g) => g.user_id === 'newbie')).toBe(false);
    await context.close();
  });
});
