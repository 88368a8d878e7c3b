import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, grant, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, type Scheme, SCREENSHOTS, settled, shot, signedIn } from './browser';

/** The element's computed background colour, as the page paints it (the test's tsconfig has no DOM types). */
const background = (l: Locator) => l.evaluate((el) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { backgroundColor: string } }).getComputedStyle(el).backgroundColor);

/** The focused element's aria-label, else its text, else its type (a checkbox); '' when nothing in the page has focus. */
const focusedName = async (page: Page) => {
  const focused = page.locator(':focus');
  if ((await focused.count()) === 0) return '';
  return (await focused.getAttribute('aria-label')) || (await focused.innerText()).trim() || ((await focused.getAttribute('type')) ?? '');
};

/** The confirm dialog's focus handling, and how disabled buttons look, in both themes. */
describe(`web UI dialogs and disabled controls in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let modelName: string;
  const versionUrl = (v: string) => `/models/${encodeURIComponent(modelName)}/versions/${v}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp();
    const alice = t.as('alice');
    modelName = await createModel(alice, uniqueName('ui-dialog-model'));
    await createVersion(alice, modelName);
    await createVersion(alice, modelName);
    await grant(t, modelName, 'requester', 'READ');
    await t.as('requester').post(`${API}/transition-requests/create`, { name: modelName, version: '1', stage: 'Production', comment: 'ready' }).expect(200);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('keeps focus inside the confirm dialog while Tabbing, closes it with Escape or Cancel, and gives focus back to the button that opened it', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', versionUrl('1'));
    const opener = page.getByRole('button', { name: 'Move version 1 to Staging' });
    await opener.focus();
    await page.keyboard.press('Enter');
    // Labelled by its heading; focus moved into it, on Confirm.
    const dialog = page.getByRole('dialog', { name: `Move version 1 of ${modelName} to Staging?` });
    await dialog.waitFor();
    await settled(() => focusedName(page), 'Confirm');
    // Tab and Shift+Tab past its last and first controls (checkbox, Confirm, Cancel) stay inside it.
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      await expect(dialog.locator(':focus').count()).resolves.toBe(1);
      seen.push(await focusedName(page));
    }
    expect(seen).toEqual(['Cancel', 'checkbox', 'Confirm', 'Cancel', 'checkbox']);
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Shift+Tab');
      await expect(dialog.locator(':focus').count()).resolves.toBe(1);
    }
    await shot(page, 'version-confirm-focus-light');
    // Escape closes it, nothing moved, and the opener has focus again.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await settled(() => focusedName(page), 'Move version 1 to Staging');
    await page.getByTestId('version-stage').getByText('None').waitFor();
    // The same with Cancel, opened with a click.
    await opener.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await settled(() => focusedName(page), 'Move version 1 to Staging');
    await context.close();
  });

  it('gives focus, once Confirm has moved the version and its button is gone, to the first control beside it', async () => {
    const { context, page } = await signedIn(browser, t, 'alice', 'light', versionUrl('2'));
    await page.getByRole('button', { name: 'Move version 2 to Staging' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Move version 2 of ${modelName} to Staging?` });
    await dialog.waitFor();
    await settled(() => focusedName(page), 'Confirm');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('version-stage').getByText('Staging').waitFor();
    await expect(page.getByRole('button', { name: 'Move version 2 to Staging' }).count()).resolves.toBe(0);
    await settled(() => focusedName(page), 'Move version 2 to None');
    await context.close();
  });

  it.each<Scheme>(['light', 'dark'])('greys out disabled primary buttons (Approve) in the %s theme, with the level they need in their title', async (scheme) => {
    // The enabled primary button: the confirm dialog's Confirm, for alice (MANAGE).
    const a = await signedIn(browser, t, 'alice', scheme, versionUrl('1'));
    await a.page.getByRole('button', { name: 'Move version 1 to Staging' }).click();
    const enabledPrimary = await background(a.page.getByRole('dialog').getByRole('button', { name: 'Confirm' }));
    const enabledPlain = await background(a.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }));
    // The viewport only: a full-page shot runs past the dialog's backdrop, which covers the viewport.
    await a.page.screenshot({ path: path.join(SCREENSHOTS, `version-confirm-dialog-${scheme}.png`) });
    await a.context.close();

    // The requester (READ) sees Approve disabled: not in the accent colour, like the other disabled buttons.
    const r = await signedIn(browser, t, 'requester', scheme, versionUrl('1'));
    const approve = r.page.getByRole('button', { name: "Approve requester's request for Production" });
    await approve.waitFor();
    await expect(approve.isDisabled()).resolves.toBe(true);
    await expect(approve.getAttribute('title')).resolves.toBe('Needs MANAGE_PRODUCTION on this registered model (you have READ)');
    const disabledPrimary = await background(approve);
    const disabledPlain = await background(r.page.getByRole('button', { name: "Reject requester's request for Production" }));
    expect({
      disabledPrimary,
      differsFromEnabled: disabledPrimary !== enabledPrimary,
      sameAsDisabledPlain: disabledPrimary === disabledPlain,
      plainDiffers: disabledPlain !== enabledPlain,
    }).toEqual({
      disabledPrimary,
      differsFromEnabled: true,
      sameAsDisabledPlain: true,
      plainDiffers: true,
    });
    await shot(r.page, `version-disabled-${scheme}`);
    await r.context.close();
  });
});
