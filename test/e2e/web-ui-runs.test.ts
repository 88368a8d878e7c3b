import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, openPage, putArtifact, settled, shot, signedIn, savedBy, typeIn } from './browser';

const MLMODEL = [
  'artifact_path: model',
  'flavors:',
  '  python_function:',
  '    loader_module: mlflow.sklearn',
  'signature:',
  `  inputs: '[{"type": "double", "name": "age"}, {"type": "string", "name": "city"}]'`,
  `  outputs: '[{"type": "long", "name": "churn"}]'`,
  '',
].join('\n');

/** Runs in the browser: compare, artifacts, nested runs, delete/restore, experiment settings, tags, chart options. */
describe(`web UI runs pages in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let experimentId: string;
  const runIds: string[] = [];
  let parentId: string;
  let childIds: string[];
  let artifactUri: string;

  const createRun = async (name: string, params: Record<string, string>, rmse: number, tags: Record<string, string> = {}) => {
    const alice = t.as('alice');
    const run = await alice.post(`${API}/runs/create`, { experiment_id: experimentId, run_name: name, start_time: Date.now() - 60_000 }).expect(200);
    const id = run.body.run.info.run_id as string;
    const now = Date.now();
    const metrics = Array.from({ length: 40 }, (_, step) => [
      { key: 'rmse', value: rmse + 1 / (step + 1), timestamp: now - 40_000 + step * 1000, step },
      { key: 'loss', value: 2 * rmse + 1 / (step + 1), timestamp: now - 40_000 + step * 1000, step },
    ]).flat();
    await alice
      .post(`${API}/runs/log-batch`, {
        run_id: id,
        metrics,
        params: Object.entries(params).map(([key, value]) => ({ key, value })),
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      })
      .expect(200);
    await alice.post(`${API}/runs/update`, { run_id: id, status: 'FINISHED', end_time: Date.now() }).expect(200);
    return { id, artifactUri: run.body.run.info.artifact_uri as string };
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp();
    const alice = t.as('alice');
    experimentId = (await alice.post(`${API}/experiments/create`, { name: uniqueName('ui-runs') }).expect(200)).body.experiment_id as string;
    await alice.post(`${API}/experiments/permissions/create`, { experiment_id: experimentId, username: 'reader', permission: 'READ' }).expect(200);
    for (const [i, lr] of ['0.1', '0.01', '0.001'].entries()) {
      const r = await createRun(`cmp-${i}`, { lr, batch: '32' }, [0.5, 0.2, 0.35][i]!);
      runIds.push(r.id);
      if (i === 0) artifactUri = r.artifactUri;
    }
    parentId = (await createRun('sweep', { lr: '1' }, 0.9)).id;
    childIds = [];
    for (const i of [1, 2]) childIds.push((await createRun(`trial-${i}`, { lr: `0.${i}` }, 0.8, { 'mlflow.parentRunId': parentId })).id);

    // Artifacts of cmp-0: text, JSON, CSV in a folder, an MLmodel, and a PNG drawn by the browser itself.
    const { context, page } = await openPage(browser);
    await page.setContent('<div style="width:160px;height:90px;background:linear-gradient(90deg,#2f6fde,#e67700)"></div>');
    const png = await page.locator('div').screenshot();
    await context.close();
    await putArtifact(t, 'alice', artifactUri, 'notes.txt', 'hello from the run\nsecond line\n');
    await putArtifact(t, 'alice', artifactUri, 'config.json', '{"a":1,"nested":{"b":[1,2]}}');
    await putArtifact(t, 'alice', artifactUri, 'data/table.csv', 'name,score\n"x, quoted",1.5\ny,2.5\n');
    await putArtifact(t, 'alice', artifactUri, 'model/MLmodel', MLMODEL);
    await putArtifact(t, 'alice', artifactUri, 'plot.png', png);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('compares three selected runs: params with differences marked, metrics, overlaid charts and a scatter', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/experiments/${experimentId}`);
    for (const name of ['cmp-0', 'cmp-1', 'cmp-2']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
    await page.getByText('3 selected').waitFor();
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
    expect(new URL(page.url()).searchParams.get('runs')?.split(',').sort()).toEqual([...runIds].sort());
    const params = page.getByRole('table', { name: 'Parameters' });
    await expect(params.getByRole('row', { name: /^lr/ }).getAttribute('data-differs')).resolves.toBe('true');
    await expect(params.getByRole('row', { name: /^batch/ }).getAttribute('data-differs')).resolves.toBe('false');
    const rmseRow = page.getByRole('table', { name: 'Metrics' }).getByRole('row', { name: /^rmse/ });
    await settled(() => rmseRow.getByRole('cell').allTextContents(), ['0.525', '0.225', '0.375']);
    // One chart per metric, each overlaying the three runs (40 points each).
    for (const metric of ['rmse', 'loss']) {
      const chart = page.getByRole('img', { name: `Chart of ${metric}` });
      await chart.locator('canvas').waitFor();
      await expect(chart.getAttribute('data-points')).resolves.toBe('120');
      await expect(chart.locator('.u-legend .u-series').count()).resolves.toBe(4);
    }
    await page.getByLabel('X axis').selectOption('p:lr');
    await page.getByLabel('Y axis').selectOption('m:rmse');
    const scatter = page.getByRole('img', { name: 'Chart of metric rmse vs param lr' });
    await scatter.locator('canvas').waitFor();
    await expect(scatter.getAttribute('data-points')).resolves.toBe('3');
    expect(new URL(page.url()).searchParams.get('x')).toBe('p:lr');
    await shot(page, 'compare-light');
    await context.close();
    const dark = await signedIn(browser, t, 'alice', 'dark', `/compare?runs=${runIds.join(',')}&x=p:lr&y=m:rmse`);
    await dark.page.getByRole('img', { name: 'Chart of metric rmse vs param lr' }).locator('canvas').waitFor();
    await shot(dark.page, 'compare-dark');
    await dark.context.close();
  });

  it('browses artifacts: text, JSON, CSV, MLmodel and image previews, and a download', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/runs/${runIds[0]}`, { acceptDownloads: true });
    const tree = page.getByRole('navigation', { name: 'Artifact files' });
    await tree.getByRole('button', { name: /notes\.txt/ }).click();
    await settled(() => page.getByLabel('File contents').textContent(), 'hello from the run\nsecond line\n');
    await tree.getByRole('button', { name: /config\.json/ }).click();
    await settled(() => page.getByLabel('File contents').textContent(), JSON.stringify({ a: 1, nested: { b: [1, 2] } }, null, 2));
    await tree.getByRole('button', { name: 'data/' }).click();
    await tree.getByRole('button', { name: /table\.csv/ }).click();
    const csv = page.getByRole('table', { name: 'CSV preview' });
    await settled(() => csv.getByRole('columnheader').allTextContents(), ['name', 'score']);
    await settled(() => csv.getByRole('row').nth(1).getByRole('cell').allTextContents(), ['x, quoted', '1.5']);
    await tree.getByRole('button', { name: 'model/' }).click();
    await tree.getByRole('button', { name: /MLmodel/ }).click();
    await settled(
      () => page.getByLabel('File contents').textContent(),
      (text) => text?.includes('loader_module: mlflow.sklearn') === true,
    );
    expect(new URL(page.url()).searchParams.get('artifact')).toBe('model/MLmodel');
    await tree.getByRole('button', { name: /plot\.png/ }).click();
    const img = page.getByRole('img', { name: 'plot.png' });
    await img.waitFor();
    const naturalWidth = () => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
    for (let i = 0; i < 50 && (await naturalWidth()) === 0; i++) await page.waitForTimeout(100);
    const natural = await naturalWidth();
    expect(natural).toBeGreaterThanOrEqual(160);
    await shot(page, 'run-artifacts-light');
    await tree.getByRole('button', { name: /notes\.txt/ }).click();
    await expect(savedBy(page, () => page.getByRole('button', { name: 'Download' }).click())).resolves.toEqual({ name: 'notes.txt', text: 'hello from the run\nsecond line\n' });
    await context.close();
  });

  it('shows nested runs under their parent, collapses them, and deletes and restores a run', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/experiments/${experimentId}?sort=name&dir=asc`);
    const ids = async () => {
      const rows = page.locator('[role=rowgroup] [role=row]');
      const out: (string | null)[][] = [];
      for (const row of await rows.all()) out.push([await row.getAttribute('data-run-id'), await row.getAttribute('aria-level')]);
      return out;
    };
    await page.getByRole('link', { name: 'trial-1' }).waitFor();
    const rows = await ids();
    const at = rows.findIndex(([id]) => id === parentId);
    expect(rows.slice(at, at + 3)).toEqual([
      [parentId, '1'],
      [childIds[0], '2'],
      [childIds[1], '2'],
    ]);
    await page.getByRole('button', { name: 'Hide 2 child runs of sweep' }).click();
    await page.getByRole('link', { name: 'trial-1' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Show 2 child runs of sweep' }).click();
    await page.getByRole('link', { name: 'trial-1' }).waitFor();
    await shot(page, 'runs-nested-light');

    await page.getByRole('checkbox', { name: 'Select trial-2' }).check();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('link', { name: 'trial-2' }).waitFor({ state: 'detached' });
    expect((await t.as('alice').get(`${API}/runs/get`, { run_id: childIds[1] }).expect(200)).body.run.info.lifecycle_stage).toBe('deleted');
    await page.getByLabel('Deleted runs').check();
    await page.getByRole('checkbox', { name: 'Select trial-2' }).check();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('No deleted runs in this experiment.').waitFor();
    expect((await t.as('alice').get(`${API}/runs/get`, { run_id: childIds[1] }).expect(200)).body.run.info.lifecycle_stage).toBe('active');
    await context.close();
  });

  it('renames an experiment, sets and removes its tags, deletes it and restores it from the list', async () => {
    const alice = t.as('alice');
    const id = (await alice.post(`${API}/experiments/create`, { name: uniqueName('ui-settings') }).expect(200)).body.experiment_id as string;
    const newName = uniqueName('ui-renamed');
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/experiments/${id}`);
    await page.getByText('Experiment settings').click();
    await typeIn(page.getByLabel('Experiment name'), newName);
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { level: 1, name: newName }).waitFor();
    await typeIn(page.getByLabel('Key'), 'team');
    await typeIn(page.getByLabel('Value'), 'risk');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByRole('table', { name: 'Experiment tags' }).getByRole('row', { name: 'team risk' }).waitFor();
    let exp = (await alice.get(`${API}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment;
    expect(exp.name).toBe(newName);
    expect(exp.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'risk' }]));
    await page.getByRole('button', { name: 'Remove tag team' }).click();
    await page.getByRole('table', { name: 'Experiment tags' }).waitFor({ state: 'detached' });
    exp = (await alice.get(`${API}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment;
    expect(((exp.tags ?? []) as { key: string }[]).some((x) => x.key === 'team')).toBe(false);
    await page.getByRole('button', { name: 'Delete experiment' }).click();
    await page.getByRole('button', { name: 'Restore experiment' }).waitFor();
    expect((await alice.get(`${API}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment.lifecycle_stage).toBe('deleted');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Experiments' }).click();
    await page.getByLabel('Deleted experiments').check();
    await page.getByRole('button', { name: `Restore ${newName}` }).click();
    await page.getByText('No deleted experiments.').waitFor();
    expect((await alice.get(`${API}/experiments/get`, { experiment_id: id }).expect(200)).body.experiment.lifecycle_stage).toBe('active');
    await context.close();
  });

  it('edits run tags with EDIT, changes chart options in the URL, and shows a READ user no edit controls', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/runs/${runIds[1]}`);
    await typeIn(page.getByLabel('Key'), 'stage');
    await typeIn(page.getByLabel('Value'), 'candidate');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByRole('table', { name: 'Tags' }).getByRole('row', { name: 'stage candidate' }).waitFor();
    const tags = async () => (await t.as('alice').get(`${API}/runs/get`, { run_id: runIds[1] }).expect(200)).body.run.data.tags as { key: string; value: string }[];
    expect(await tags()).toEqual(expect.arrayContaining([{ key: 'stage', value: 'candidate' }]));
    await page.getByRole('button', { name: 'Remove tag stage' }).click();
    await page.getByRole('table', { name: 'Tags' }).waitFor({ state: 'detached' });
    expect((await tags()).some((x) => x.key === 'stage')).toBe(false);

    const rmse = page.getByRole('img', { name: 'Chart of rmse' });
    await expect(rmse.getAttribute('data-points')).resolves.toBe('40');
    await page.getByLabel('X axis').selectOption('relative');
    await page.getByLabel('Log scale').check();
    await page.getByLabel('Smoothing').fill('0.6');
    // The smoothed series is drawn beside the raw one.
    for (let i = 0; i < 50 && (await rmse.getAttribute('data-points')) !== '80'; i++) await page.waitForTimeout(100);
    await expect(rmse.getAttribute('data-points')).resolves.toBe('80');
    await rmse.getByText('relative time (s)').first().waitFor();
    const q = new URL(page.url()).searchParams;
    expect([q.get('x'), q.get('log'), q.get('smooth')]).toEqual(['relative', '1', '0.6']);
    await shot(page, 'run-chart-options-light');
    await context.close();

    const reader = await signedIn(browser, t, 'reader', 'dark', `/runs/${runIds[1]}`);
    await reader.page.getByText('Your permission').waitFor();
    await reader.page.getByText('Editing tags needs EDIT on this experiment.').waitFor();
    await expect(reader.page.getByRole('button', { name: 'Set tag' }).count()).resolves.toBe(0);
    await reader.page.goto(`${t.baseUrl}/experiments/${experimentId}`);
    await reader.page.getByRole('link', { name: 'cmp-0' }).waitFor();
    await reader.page.getByText('Your permission on this experiment: READ').waitFor();
    await expect(reader.page.getByRole('button', { name: 'Delete' }).count()).resolves.toBe(0);
    await expect(reader.page.getByRole('button', { name: 'Rename' }).count()).resolves.toBe(0);
    await shot(reader.page, 'runs-reader-dark');
    await reader.context.close();
  });

  it("registers a model from the run's artifact folder and shows the version with its MLmodel signature", async () => {
    const name = uniqueName('ui-registered');
    const { context, page } = await signedIn(browser, t, 'alice', 'light', `/runs/${runIds[0]}`);
    await typeIn(page.getByLabel('Artifact folder'), 'model');
    await typeIn(page.getByLabel('Model name'), name);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: `${name} v1` }).waitFor();
    const signature = page.getByRole('table', { name: 'Signature' });
    await expect(
      signature
        .getByRole('row', { name: /Inputs/ })
        .getByRole('cell')
        .textContent(),
    ).resolves.toBe('age: double, city: string');
    await expect(
      signature
        .getByRole('row', { name: /Outputs/ })
        .getByRole('cell')
        .textContent(),
    ).resolves.toBe('churn: long');
    await shot(page, 'version-registered-light');
    await context.close();
    const mv = (await t.as('alice').get(`${API}/model-versions/get`, { name, version: '1' }).expect(200)).body.model_version;
    expect([mv.source, mv.run_id]).toEqual([`${artifactUri}/model`, runIds[0]]);
  });
});
