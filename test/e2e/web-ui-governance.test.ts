import { startTestApp, type TestApp } from '../helpers/test-app';
import { API, createModel, createVersion, getVersion, grant, transition, uniqueName } from '../integration/registry-fixtures';
import { ENGINE_NAME, launchBrowser, type TestBrowser, settled, shot, signedIn, typeIn } from './browser';

/** Promotion requests, approvals, comments and the activity feed on the version page, with REQUIRE_APPROVAL=Production. */
describe(`web UI governance on the version page in ${ENGINE_NAME}`, () => {
  let t: TestApp;
  let browser: TestBrowser;
  let modelName: string;
  const versionUrl = (v: string) => `/models/${encodeURIComponent(modelName)}/versions/${v}`;
  const openRequests = async () =>
    ((await t.as('alice').get(`${API}/transition-requests/list`, { name: modelName, version: '1' }).expect(200)).body.requests ?? []) as { user_id: string; to_stage: string }[];
  const comments = async () =>
    ((await t.as('alice').get(`${API}/comments/list`, { name: modelName, version: '1' }).expect(200)).body.comments ?? []) as { user_id: string; comment: string }[];

  beforeAll(async () => {
    browser = await launchBrowser();
    t = await startTestApp({ REQUIRE_APPROVAL: 'Production' });
    const alice = t.as('alice');
    modelName = await createModel(alice, uniqueName('ui-gov-model'));
    await createVersion(alice, modelName);
    await createVersion(alice, modelName);
    await transition(alice, modelName, '1', 'Staging').expect(200);
    await grant(t, modelName, 'requester', 'READ');
    await grant(t, modelName, 'approver', 'MANAGE_PRODUCTION');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lets a READ user file Production and protected-alias requests that a MANAGE_PRODUCTION user approves, with the activity feed and comments', async () => {
    // A (READ) files the request with a comment; Approve and Reject stay disabled for them, with the level they need.
    const a = await signedIn(browser, t, 'requester', 'light', versionUrl('1'));
    await a.page.getByText('Your permission on this model: READ').waitFor();
    await a.page.getByText('No open request.').waitFor();
    await a.page.getByLabel('Request a transition to').selectOption('Production');
    await typeIn(a.page.getByLabel('Comment', { exact: true }), 'metrics are green');
    await a.page.getByRole('button', { name: 'Request', exact: true }).click();
    const requests = a.page.getByRole('table', { name: 'Open requests' });
    await requests.getByRole('row', { name: /requester Production metrics are green/ }).waitFor();
    expect(await openRequests()).toEqual([expect.objectContaining({ user_id: 'requester', to_stage: 'Production', comment: 'metrics are green' })]);
    const approveA = a.page.getByRole('button', { name: "Approve requester's request for Production" });
    await expect(approveA.isDisabled()).resolves.toBe(true);
    await expect(approveA.getAttribute('title')).resolves.toBe('Needs MANAGE_PRODUCTION on this registered model (you have READ)');
    await expect(a.page.getByRole('button', { name: "Reject requester's request for Production" }).isDisabled()).resolves.toBe(true);
    await expect(a.page.getByRole('button', { name: "Withdraw requester's request for Production" }).isEnabled()).resolves.toBe(true);
    // And a protected alias, which only MANAGE_PRODUCTION may approve.
    await typeIn(a.page.getByLabel('Request protected alias'), 'champion');
    await a.page.getByRole('button', { name: 'Request alias' }).click();
    await requests.getByRole('row', { name: /requester @champion/ }).waitFor();
    await expect(a.page.getByRole('button', { name: "Approve requester's request for @champion" }).getAttribute('title')).resolves.toBe(
      'Needs MANAGE_PRODUCTION on this registered model (you have READ)',
    );
    await shot(a.page, 'version-requests-requester-light');
    await a.context.close();

    // B (MANAGE_PRODUCTION): a direct move to Production is refused by the policy and points to the request form.
    const b = await signedIn(browser, t, 'approver', 'light', versionUrl('2'));
    await b.page.getByRole('button', { name: 'Move version 2 to Production' }).click();
    const dialog = b.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/needs an approved transition request/)
      .waitFor();
    await dialog.getByRole('button', { name: 'Use the “Request a transition” form' }).click();
    await expect(b.page.getByLabel('Request a transition to').inputValue()).resolves.toBe('Production');
    expect((await getVersion(t.as('alice'), modelName, '2')).current_stage).toBe('None');

    // B sees A's request on version 1 and approves it.
    await b.page.goto(`${t.baseUrl}${versionUrl('1')}`);
    await b.page.getByText('Your permission on this model: MANAGE_PRODUCTION').waitFor();
    const approve = b.page.getByRole('button', { name: "Approve requester's request for Production" });
    await approve.waitFor();
    await expect(approve.isEnabled()).resolves.toBe(true);
    await approve.click();
    await b.page.getByTestId('version-stage').getByText('Production').waitFor();
    await b.page
      .getByRole('table', { name: 'Open requests' })
      .getByRole('row', { name: /Production/ })
      .waitFor({ state: 'detached' });
    expect((await getVersion(t.as('alice'), modelName, '1')).current_stage).toBe('Production');
    expect(await openRequests()).toEqual([]);
    await b.page.getByRole('button', { name: "Approve requester's request for @champion" }).click();
    await b.page.getByRole('list', { name: 'Aliases of this version' }).getByText('@champion').waitFor();
    expect((await getVersion(t.as('alice'), modelName, '1')).aliases).toEqual(['champion']);
    expect((await t.as('alice').get(`${API}/alias-requests/list`, { name: modelName, version: '1' }).expect(200)).body.requests ?? []).toEqual([]);
    // The feed, newest first: one wording per event (who, what, details), whatever its API names.
    const feed = b.page.getByRole('table', { name: 'Activity' });
    const feedRows = async () => (await feed.locator('tbody tr').all()).map((row) => row.locator('td').allInnerTexts());
    const whoWhatDetails = async () => (await Promise.all(await feedRows())).map((cells) => cells.slice(1).join(' | '));
    await settled(whoWhatDetails, [
      'approver | Set alias champion → v1 | ',
      'approver | Approved alias champion → v1 | ',
      'approver | Moved from Staging to Production | ',
      // An approval without a comment of its own shows none (not the request's).
      'approver | Approved the transition to Production | ',
      'requester | Requested alias champion → v1 | ',
      'requester | Requested a transition to Production | “metrics are green”',
      'alice | Moved from None to Staging | ',
      'alice | Registered version 1 | ',
    ]);

    // A comment, added then deleted through the page.
    await typeIn(b.page.getByLabel('New comment'), 'promoted after review');
    await b.page.getByRole('button', { name: 'Add comment' }).click();
    const list = b.page.getByRole('list', { name: 'Comments on this version' });
    const item = list.getByRole('listitem').filter({ hasText: 'promoted after review' });
    await item.waitFor();
    expect(await comments()).toEqual([expect.objectContaining({ user_id: 'approver', comment: 'promoted after review' })]);
    await feed.getByRole('row', { name: /approver Commented “promoted after review”/ }).waitFor();
    // The only comment: while edited its text is in the input, not the item's text.
    const only = list.getByRole('listitem');
    await only.getByRole('button', { name: 'Edit' }).click();
    await typeIn(only.getByLabel('Edit comment'), 'promoted after a second review');
    await only.getByRole('button', { name: 'Save' }).click();
    const edited = list.getByRole('listitem').filter({ hasText: 'promoted after a second review' });
    await edited.getByText('(edited)').waitFor();
    expect(await comments()).toEqual([expect.objectContaining({ user_id: 'approver', comment: 'promoted after a second review' })]);
    await shot(b.page, 'version-governance-approver-light');
    await edited.getByRole('button', { name: 'Delete' }).click();
    await b.page.getByText('No comment yet.').waitFor();
    expect(await comments()).toEqual([]);
    await b.context.close();
  });
});
