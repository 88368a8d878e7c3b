import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type S3rver from 's3rver';
import { startS3MultipartTestServer } from '../helpers/s3-multipart-test-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { bearer } from '../helpers/tokens';
import type { S3ArtifactStore } from '../../src/storage/s3-artifact-store';
import { createRun, PROXY, type RunFixture } from './artifact-fixtures';
const DAY = 86_400_000;

// Multipart uploads started through the proxy and never completed keep their parts in the bucket,
// invisible to listings; garbage collection aborts the ones older than its cutoff.
describe('garbage collection of unfinished multipart uploads (S3)', () => {
  let s3: S3rver;
  let s3Dir: string;
  let t: TestApp;
  let run: RunFixture;

  beforeAll(async () => {
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-s3-gc-mpu-'));
    const started = await startS3MultipartTestServer(s3Dir);
    s3 = started.s3;
    t = await startTestApp({ S3_ENDPOINT: `http://127.0.0.1:${started.port}` });
    run = await createRun(t, 'alice');
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    fs.rmSync(s3Dir, { recursive: true, force: true });
  });

  const store = () => t.container.artifactStore as S3ArtifactStore;
  async function inProgress(): Promise<string[]> {
    const found: string[] = [];
    for await (const u of store().client.listIncompleteUploads(store().bucket, '', true)) found.push(String(u.key));
    return found.sort();
  }
  async function started(file: string): Promise<string> {
    const created = await t.http
      .post(`${PROXY}/mpu/create/${run.root}`)
      .set(bearer(t.as('alice').token))
      .send({ path: file, num_parts: 1 })
      .expect(200);
    const part = await fetch(created.body.credentials[0].url, { method: 'PUT', body: 'half of a model' });
    expect(part.status).toBe(200);
    return `${run.root}/${file}`;
  }

  it('counts them on a dry run, aborts those older than the cutoff, leaves young ones and keys outside the layout, and audits each', async () => {
    const key = await started('weights.bin');
    // Outside the store's layout: no owner, never touched.
    const strayId = await store().client.initiateNewMultipartUpload(store().bucket, 'stray/upload.bin', {});
    expect(await inProgress()).toEqual([key, 'stray/upload.bin'].sort());

    // Younger than the cutoff (30 days): kept.
    const young = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 30 * DAY });
    expect(young.incompleteUploads).toMatchObject({ count: 0 });

    const dry = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 0, dryRun: true });
    expect(dry.incompleteUploads).toEqual({ count: 1, files: 1, bytes: 'half of a model'.length });
    expect(await inProgress()).toEqual([key, 'stray/upload.bin'].sort());

    const report = await t.container.gc.with({ minUploadAgeMs: 0 }).run({ olderThanMs: 0 });
    expect(report.incompleteUploads).toEqual({ count: 1, files: 1, bytes: 'half of a model'.length });
    expect(await inProgress()).toEqual(['stray/upload.bin']);
    const events = await t.container.prisma.auditEvent.findMany({ where: { action: 'gc_incomplete_upload' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system:gc', resourceType: 'experiment', experimentId: BigInt(run.experimentId) });
    expect(events[0]!.before).toMatchObject({ key });
    await store().client.abortMultipartUpload(store().bucket, 'stray/upload.bin', strayId);
  });

  it('leaves an upload younger than the hour an upload may take, whatever --older-than says', async () => {
    const key = await started('fresh.bin');
    const report = await t.container.gc.run({ olderThanMs: 0 });
    expect(report.incompleteUploads.count).toBe(0);
    expect(await inProgress()).toContain(key);
  });

  it('reports them through the admin endpoint', async () => {
    const res = await t.as('admin').post('/api/2.0/registry/gc', { older_than: '0', dry_run: true }).expect(200);
    expect(res.body.incomplete_uploads).toEqual({ count: 0, bytes: 0 });
  });
});
