import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, settled, shot, signedIn, typeIn } from './browser';

const HOSTILE = [
  '# Churn model',
  '',
  'Trained on **2025** data with `xgboost`.',
  '',
  '- first item',
  '- second item',
  '',
  '| metric | value |',
  '| --- | --- |',
  '| auc | 0.91 |',
  '',
  'See [the docs](https://example.com/docs) and [evil](javascript:window.__pwned=1).',
  '',
  '<script>window.__pwned = 2</script>',
  '',
  'Inline <img src=x onerror="window.__pwned=3"> here.',
].join('\n');

/** Descriptions as Markdown on the model and version pages: rendered safely, edited by EDIT callers. */
describe(`web UI descriptions in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let modelName: string;
  const modelUrl = () => `/models/${encodeURIComponent(modelName)}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp();
    const alice = t.as('alice');
    modelName = await createModel(alice, uniqueName('ui-desc'), { description: HOSTILE });
    await createVersion(alice, modelName);
    await grant(t, modelName, 'reader', 'READ');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders headings, lists, tables and safe links, and shows raw HTML and javascript: links as text', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', modelUrl());
    const desc = page.getByTestId('description');
    await desc.getByRole('heading', { name: 'Churn model' }).waitFor();
    await expect(desc.locator('strong').textContent()).resolves.toBe('2025');
    await expect(desc.locator('code').textContent()).resolves.toBe('xgboost');
    await expect(desc.getByRole('listitem').allTextContents()).resolves.toEqual(['first item', 'second item']);
    await expect(desc.getByRole('table').getByRole('row').allTextContents()).resolves.toEqual(['metricvalue', 'auc0.91']);
    const docs = desc.getByRole('link', { name: 'the docs' });
    await expect(docs.getAttribute('href')).resolves.toBe('https://example.com/docs');
    await expect(docs.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    // The javascript: link is plain text, the HTML is its source as text, nothing ran.
    await expect(desc.locator('a', { hasText: 'evil' }).count()).resolves.toBe(0);
    await desc.getByText('evil').waitFor();
    await expect(desc.locator('a').count()).resolves.toBe(1);
    await expect(desc.locator('script, img').count()).resolves.toBe(0);
    await desc.getByText('<script>window.__pwned = 2</script>').waitFor();
    await desc.getByText('<img src=x onerror="window.__pwned=3">', { exact: false }).waitFor();
    // An expression string: the test's own TypeScript has no DOM types.
    await expect(page.evaluate('window.__pwned')).resolves.toBeUndefined();
    await shot(page, 'description-model-light');
    await context.close();
  });

  it('lets an EDIT caller edit the version description, shows the API error inline, and renders the result', async () => {
    const alice = t.as('alice');
    const { context, page } = await signedIn(browser, t, 'alice', 'dark', `${modelUrl()}/versions/1`);
    await page
      .getByTestId('description-empty')
      .getByText(/choose Edit to add one/)
      .waitFor();
    await page.getByRole('button', { name: 'Edit version description' }).click();
    await typeIn(page.getByLabel('Description (Markdown)'), '## Notes\n\n1. calibrated\n2. *shadow* tested');
    // Cancel leaves the description as it was.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('description-empty').waitFor();
    await page.getByRole('button', { name: 'Edit version description' }).click();
    await typeIn(page.getByLabel('Description (Markdown)'), '## Notes\n\n1. calibrated\n2. *shadow* tested');
    await page.getByRole('button', { name: 'Save' }).click();
    const desc = page.getByTestId('description');
    await desc.getByRole('heading', { name: 'Notes' }).waitFor();
    await expect(desc.getByRole('listitem').allTextContents()).resolves.toEqual(['calibrated', 'shadow tested']);
    await settled(async () => (await getVersion(alice, modelName, '1')).description as string, '## Notes\n\n1. calibrated\n2. *shadow* tested');
    await shot(page, 'description-version-dark');

    // The API's refusal shows in the editor: the version is gone meanwhile.
    await alice.delete(`${API}/model-versions/delete`, { name: modelName, version: '1' }).expect(200);
    await page.getByRole('button', { name: 'Edit version description' }).click();
    await typeIn(page.getByLabel('Description (Markdown)'), 'too late');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.description-editor').getByRole('alert').waitFor();
    await expect(page.getByLabel('Description (Markdown)').inputValue()).resolves.toBe('too late');
    await context.close();
  });

  it('shows a READ user the description without an Edit control', async () => {
    const { context, page } = await signedIn(browser, t, 'reader', 'light', modelUrl());
    await page.getByText('Your permission on this model: READ').waitFor();
    await page.getByTestId('description').getByRole('heading', { name: 'Churn model' }).waitFor();
    await expect(page.getByRole('button', { name: /^Edit .* description$/ }).count()).resolves.toBe(0);
    await createVersion(t.as('alice'), modelName);
    await page.goto(`${t.baseUrl}${modelUrl()}/versions/2`);
    await page.getByTestId('description-empty').getByText('No description', { exact: true }).waitFor();
    await expect(page.getByRole('button', { name: /^Edit .* description$/ }).count()).resolves.toBe(0);
    await shot(page, 'description-reader-light');
    await context.close();
  });
});
