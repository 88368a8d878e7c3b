import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, firefox, type Locator, type Page } from 'playwright-core';
import { DEFAULT_WEB_DIST } from '../../src/http/web-ui';
import type { TestApp } from '../helpers/test-app';

/**
 * Shared by the web UI's e2e files: one real browser per file, a fresh context per page. The
 * engine is Chromium, or Firefox when E2E_BROWSER=firefox (jest's "firefox" project runs every
 * e2e file again that way).
 */
export type Engine = 'chromium' | 'firefox';
export const ENGINE: Engine = process.env.E2E_BROWSER === 'firefox' ? 'firefox' : 'chromium';
export const ENGINE_NAME = ENGINE === 'firefox' ? 'Firefox' : 'Chromium';
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-output', 'screenshots', ...(ENGINE === 'firefox' ? ['firefox'] : []));

const onPath = (names: string[]): string | undefined => {
  try {
    return execFileSync('sh', ['-c', names.map((n) => `command -v ${n}`).join(' || ')], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
};

export function findChromium(): string {
  const found = onPath(['chromium', 'chromium-browser']);
  if (!found) throw new Error('No chromium on PATH: the web UI tests drive a real Chromium. Install it with `apt-get install -y chromium`.');
  return found;
}

/** Debian's firefox-esr (the binary its PATH link points to), driven over WebDriver BiDi. */
function findFirefox(): string {
  const found = onPath(['firefox-esr', 'firefox']);
  if (!found) throw new Error('No firefox-esr on PATH: the web UI tests drive a real Firefox too. Install it with `apt-get install -y firefox-esr`.');
  return fs.realpathSync(found);
}

export type Scheme = 'light' | 'dark';

/**
 * The browser of a test file. Chromium emulates the colour scheme per context; Firefox over BiDi
 * cannot here, so it runs one browser per scheme with the profile preference that sets what
 * `prefers-color-scheme` answers (0 dark, 1 light).
 */
export class TestBrowser {
  private readonly browsers = new Map<Scheme | 'any', Promise<Browser>>();

  private browser(scheme: Scheme): Promise<Browser> {
    const key = ENGINE === 'chromium' ? 'any' : scheme;
    let b = this.browsers.get(key);
    if (!b) {
      b =
        ENGINE === 'chromium'
          ? chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] })
          : firefox.launch({ channel: 'moz-firefox', executablePath: findFirefox(), firefoxUserPrefs: { 'layout.css.prefers-color-scheme.content-override': scheme === 'dark' ? 0 : 1 } });
      this.browsers.set(key, b);
    }
    return b;
  }

  async newContext(scheme: Scheme, options: BrowserContextOptions): Promise<BrowserContext> {
    return (await this.browser(scheme)).newContext({ ...options, ...(ENGINE === 'chromium' ? { colorScheme: scheme } : {}) });
  }

  async close(): Promise<void> {
    for (const b of this.browsers.values()) await (await b).close();
  }
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(path.join(DEFAULT_WEB_DIST, 'index.html'))) throw new Error('web/dist is missing: run `npm run build:web` (npm ci runs it).');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = new TestBrowser();
  await browser.newContext('light', {}).then((c) => c.close()); // fails here, once, when the engine cannot start
  return browser;
}

export interface Opened {
  context: BrowserContext;
  page: Page;
}

export async function openPage(browser: TestBrowser, scheme: Scheme = 'light', opts: { acceptDownloads?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext(scheme, { viewport: { width: 1280, height: 800 }, acceptDownloads: opts.acceptDownloads ?? false });
  return { context, page: await context.newPage() };
}

/**
 * Types `value` into a text field as its user would. Chromium's fill inserts the text the way the
 * keyboard does. Playwright's fill over BiDi (Firefox) assigns the value from script, which React's
 * controlled inputs never hear of (their value tracker sees no change), so there the field is
 * cleared and typed key by key, which Firefox delivers as real input.
 */
export async function typeIn(field: Locator, value: string): Promise<void> {
  if (ENGINE === 'chromium') return field.fill(value);
  await field.focus();
  await field.press('ControlOrMeta+a');
  await field.press('Delete');
  await field.pressSequentially(value);
}

export interface Saved {
  name: string;
  text: string;
}

/**
 * The file that `click` makes the page save: its name and text. Chromium reports the download.
 * Firefox's BiDi reports none for a `blob:` link with a `download` name (the UI's download; see
 * w3c/webdriver-bidi#980), so there the page's click on such a link is recorded and the blob
 * behind it is read in the page.
 */
export async function savedBy(page: Page, click: () => Promise<void>): Promise<Saved> {
  if (ENGINE === 'chromium') {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    return { name: download.suggestedFilename(), text: await fs.promises.readFile(await download.path(), 'utf8') };
  }
  // In the page (a string: these files compile without the DOM's types); void, so evaluate does not
  // wait for it. The blob is kept as the link is made (the page's CSP allows no fetch of blob: URLs).
  await page.evaluate(`void (window.saved = new Promise((resolve, reject) => {
    const blobs = new Map();
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
      const url = createObjectURL(blob);
      blobs.set(url, blob);
      return url;
    };
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      const blob = blobs.get(this.href);
      if (this.download && blob) {
        HTMLAnchorElement.prototype.click = click;
        URL.createObjectURL = createObjectURL;
        blob.text().then((text) => resolve({ name: this.download, text }), reject);
      }
      click.call(this);
    };
  }))`);
  await click();
  return page.evaluate<Saved>('window.saved');
}

/** Signs `user` in through the printed `#token=` URL, on page `at`. */
export async function signedIn(browser: TestBrowser, t: TestApp, user: string, scheme: Scheme = 'light', at = '/', opts: { acceptDownloads?: boolean } = {}): Promise<Opened> {
  const o = await openPage(browser, scheme, opts);
  await o.page.goto(`${t.baseUrl}${at}#token=${t.as(user).token}`);
  await o.page.getByTestId('user-sub').waitFor();
  return o;
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** Stores bytes as a run artifact through the artifact proxy, as the MLflow client does. */
export async function putArtifact(t: TestApp, user: string, artifactUri: string, relPath: string, body: Buffer | string): Promise<void> {
  const root = artifactUri.replace(/^mlflow-artifacts:\/+/, '');
  await t.http
    .put(`/api/2.0/mlflow-artifacts/artifacts/${root}/${relPath}`)
    .set({ Authorization: `Bearer ${t.as(user).token}`, 'Content-Type': 'application/octet-stream' })
    .send(Buffer.isBuffer(body) ? body : Buffer.from(body))
    .expect(200);
}

/**
 * What the page shows once it has settled: `read` again until it gives `expected` (a preview or a
 * table fills in after its request answers, over what was there before), then the assertion, so a
 * failure shows the last value read.
 */
export async function settled<T>(read: () => Promise<T>, expected: T | ((value: T) => boolean), timeoutMs = 15_000): Promise<void> {
  const ok = (v: T) => (typeof expected === 'function' ? (expected as (value: T) => boolean)(v) : isDeepStrictEqual(v, expected));
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  if (typeof expected === 'function') expect({ value, settled: ok(value) }).toEqual({ value, settled: true });
  else expect(value).toEqual(expected);
}
