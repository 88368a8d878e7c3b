import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, openPage, type Scheme, shot, signedIn as signIn, typeIn } from './browser';

describe(`web UI in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let experimentId: string;
  let runIds: string[];
  let modelName: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp();
    const alice = t.as('alice');
    experimentId = (await alice.post(`${API}/experiments/create`, { name: uniqueName('ui-exp') }).expect(200)).body.experiment_id as string;
    runIds = [];
    for (const [i, rmse] of [0.9, 0.3, 0.6].entries()) {
      const run = await alice.post(`${API}/runs/create`, { experiment_id: experimentId, run_name: `run-${i}`, start_time: Date.now() - 60_000 }).expect(200);
      const runId = run.body.run.info.run_id as string;
      runIds.push(runId);
      const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'rmse', value: rmse + 1 / (step + 1), timestamp: Date.now(), step }));
      metrics.push({ key: 'rmse', value: rmse, timestamp: Date.now(), step: 50 });
      await alice.post(`${API}/runs/log-batch`, { run_id: runId, metrics, params: [{ key: 'lr', value: `0.0${i + 1}` }], tags: [{ key: 'team', value: 'risk' }] }).expect(200);
      await alice.post(`${API}/runs/update`, { run_id: runId, status: 'FINISHED', end_time: Date.now() }).expect(200);
    }
    modelName = await createModel(alice, uniqueName('ui-model'));
    await createVersion(alice, modelName, { run_id: runIds[1] });
    await createVersion(alice, modelName, { run_id: runIds[2] });
    await grant(t, modelName, 'reader', 'READ');
    // A long metric (10,000 points) on run-1, logged in batches of the API's limit.
    const now = Date.now();
    for (let start = 0; start < 10_000; start += 1000) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'long_loss', value: 1 / (start + i + 1), timestamp: now, step: start + i }));
      await alice.post(`${API}/runs/log-batch`, { run_id: runIds[1], metrics }).expect(200);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const open = (scheme: Scheme = 'light') => openPage(browser, scheme);
  const signedIn = (user = 'alice', scheme: Scheme = 'light', at = '/') => signIn(browser, t, user, scheme, at);

  it('serves the app at / and client routes, keeps JSON 404s for API paths, and sends the UI CSP', async () => {
    const index = await fetch(`${t.baseUrl}/experiments/1`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${t.baseUrl}${asset}`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    const api = await fetch(`${t.baseUrl}/api/2.0/mlflow/nope`, { headers: { Authorization: `Bearer ${t.as('alice').token}` } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('signs in from the printed #token URL and removes the token from the address bar', async () => {
    const { context, page } = await signedIn('alice');
    expect(page.url()).not.toContain('token');
    await expect(page.getByTestId('user-sub').textContent()).resolves.toBe('alice');
    await page.getByRole('link', { name: /ui-exp/ }).waitFor();
    await shot(page, 'experiments-light');
    await context.close();
  });

  it('signs in with a pasted token, signs out, and returns to sign-in with the reason on a refused token', async () => {
    const { context, page } = await open();
    await page.goto(t.baseUrl);
    await typeIn(page.getByLabel('Token'), t.as('bob', { groups: ['ml-team'] }).token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('user-sub').textContent()).resolves.toBe('bob');
    await page.getByText('groups: ml-team').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    await typeIn(page.getByLabel('Token'), `${t.as('bob').token.slice(0, -4)}AAAA`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/Signed out: /).waitFor();
    await context.close();
  });

  it('shows the server message for a bad filter, filters with a good one, and sorts by a metric', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await signedIn('alice', scheme, `/experiments/${experimentId}`);
      await page.getByRole('row').nth(3).waitFor();
      await shot(page, `runs-${scheme}`);
      await context.close();
    }
    const { context, page } = await signedIn('alice', 'light', `/experiments/${experimentId}`);
    const filter = page.getByLabel('Filter runs');
    await typeIn(filter, 'metrics.rmse <<< 1');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/\S/);
    await typeIn(filter, 'metrics.rmse < 0.5');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'run-1' }).waitFor();
    await page.locator('[role=table][aria-busy=false]').waitFor();
    await expect(page.getByRole('row').count()).resolves.toBe(2);
    await typeIn(filter, '');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'run-0' }).waitFor();
    await page.getByRole('button', { name: /^rmse/ }).click(); // descending
    await page.getByRole('button', { name: 'rmse ▼' }).waitFor();
    const names = async () => {
      await page.locator('[role=table][aria-busy=false]').waitFor();
      return page.locator('[role=row] [role=cell]:nth-child(2)').allTextContents();
    };
    await expect(names()).resolves.toEqual(['run-0', 'run-2', 'run-1']);
    await page.getByRole('button', { name: 'rmse ▼' }).click();
    await page.getByRole('button', { name: 'rmse ▲' }).waitFor();
    await expect(names()).resolves.toEqual(['run-1', 'run-2', 'run-0']);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('m:rmse');
    await context.close();
  });

  it('draws a chart per metric on the run page', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await signedIn('alice', scheme, `/runs/${runIds[1]}`);
      await page.locator('canvas[aria-label="rmse chart"]').waitFor();
      await page.getByRole('img', { name: 'Chart of rmse' }).waitFor();
      // 10,000 points arrive down-sampled by the server (max_results 2500), first and last step kept.
      const long = page.getByRole('img', { name: 'Chart of long_loss' });
      await long.locator('canvas').waitFor();
      const points = Number(await long.getAttribute('data-points'));
      expect(points).toBeGreaterThan(1000);
      expect(points).toBeLessThanOrEqual(2500);
      await shot(page, `run-${scheme}`);
      await context.close();
    }
  });

  it('promotes a version to Staging after a confirmation showing archive_existing_versions', async () => {
    const { context, page } = await signedIn('alice', 'light', `/models/${encodeURIComponent(modelName)}`);
    await page.getByRole('button', { name: 'Move version 2 to Staging' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('archive_existing_versions', { exact: false }).first().waitFor();
    await shot(page, 'model-confirm-light');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('stage-2').getByText('Staging').waitFor();
    await shot(page, 'model-light');
    await context.close();
    const { body } = await t.as('alice').get(`${API}/model-versions/get`, { name: modelName, version: '2' }).expect(200);
    expect(body.model_version.current_stage).toBe('Staging');
  });

  it("shows the API's 403 message inline when the API refuses what the UI allowed", async () => {
    // The UI cannot know which aliases are protected (PROTECTED_ALIASES, default production,champion):
    // MANAGE_STAGING may set others, the API refuses 'champion', and the page shows its message.
    await grant(t, modelName, 'stager', 'MANAGE_STAGING');
    const { context, page } = await signedIn('stager', 'dark', `/models/${encodeURIComponent(modelName)}/versions/1`);
    await typeIn(page.getByLabel('New alias'), 'champion');
    await page.getByRole('button', { name: 'Set alias' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/MANAGE_PRODUCTION|permission/i);
    await shot(page, 'version-refused-dark');
    await context.close();
    const { body } = await t.as('alice').get(`${API}/model-versions/get`, { name: modelName, version: '1' }).expect(200);
    expect(body.model_version.aliases ?? []).toEqual([]);
  });
});
