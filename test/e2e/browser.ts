import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DEFAULT_WEB_DIST } from '../../src/http/web-ui';
import type { TestApp } from '../helpers/test-app';

/** Shared by the web UI's e2e files: one real Chromium per file, a fresh context per page. */
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-output', 'screenshots');

export function findChromium(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    throw new Error('No chromium on PATH: the web UI tests drive a real Chromium. Install it with `apt-get install -y chromium`.');
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(path.join(DEFAULT_WEB_DIST, 'index.html'))) throw new Error('web/dist is missing: run `npm run build:web` (npm ci runs it).');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
}

export type Scheme = 'light' | 'dark';

export interface Opened {
  context: BrowserContext;
  page: Page;
}

export async function openPage(browser: Browser, scheme: Scheme = 'light', opts: { acceptDownloads?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 }, acceptDownloads: opts.acceptDownloads ?? false });
  return { context, page: await context.newPage() };
}

/** Signs `user` in through the printed `#token=` URL, on page `at`. */
export async function signedIn(browser: Browser, t: TestApp, user: string, scheme: Scheme = 'light', at = '/', opts: { acceptDownloads?: boolean } = {}): Promise<Opened> {
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
