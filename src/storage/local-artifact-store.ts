import { randomBytes } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors';
import { TEMP_NAME_PREFIX } from './artifact-key';
import type { ArtifactEntry, ArtifactFile, ArtifactStat, ArtifactStore, ByteRange, PutOptions } from './artifact-store';
import { artifactNotFound, storeUnavailable } from './store-errors';
import { fileWriter, sendFileRange, UploadWatch } from './streams';

/** Errors that mean "nothing there" when reading. */
const MISSING = new Set(['ENOENT', 'ENOTDIR']);
const STAT_BATCH = 64;

/**
 * Artifacts as files under DATA_DIR/artifacts: the embedded default. Keys map 1:1 to relative
 * paths. Uploads go to a temp name in the target directory and are renamed into place, so a
 * failed or aborted upload never shows under the final name (rename is atomic on one filesystem).
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'artifacts');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true }).catch((err: unknown) => {
      throw storeUnavailable('creating the artifact directory', this.root, err);
    });
  }

  async close(): Promise<void> {}

  /**
   * Removes the temp files of uploads that an earlier process left behind (killed, or cut at the
   * end of its shutdown grace), and the directories only they kept. Only files last written before
   * `before`: uploads that started since (this process's, its workers') are newer. Run by main.ts
   * at start. Resolves with the number of files removed.
   */
  async removeStaleUploads(before: Date): Promise<number> {
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return;
        throw err;
      }
      for (const d of entries) {
        const p = path.join(dir, d.name);
        if (d.isDirectory()) await visit(p);
        else if (d.isFile() && d.name.startsWith(TEMP_NAME_PREFIX)) {
          const s = await fs.stat(p).catch(() => undefined);
          if (!s || s.mtimeMs >= before.getTime()) continue;
          await fs.rm(p, { force: true });
          removed++;
          await this.pruneEmptyParents(path.relative(this.root, p).split(path.sep).join('/'));
        }
      }
    };
    await visit(this.root);
    return removed;
  }

  /** Absolute path of a key; keys come from artifactKey(), this re-checks containment anyway. */
  private pathOf(key: string): string {
    const p = key === '' ? this.root : path.join(this.root, ...key.split('/'));
    if (p !== this.root && !p.startsWith(this.root + path.sep)) {
      throw new RegistryError('INVALID_PARAMETER_VALUE', `Invalid artifact path '${key}'.`);
    }
    return p;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const target = this.pathOf(key);
    const tmp = path.join(path.dirname(target), `${TEMP_NAME_PREFIX}${randomBytes(8).toString('hex')}.tmp`);
    const watch = new UploadWatch(body);
    const handle = await this.createTemp(key, tmp);
    let size: number;
    try {
      // Written in 1 MiB blocks, not one write per network chunk (about 2x the upload rate).
      const out = fileWriter(handle);
      out.once('error', () => watch.storeFailed());
      await pipeline(body, out);
      await handle.close();
      size = out.bytes();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw watch.errorFor(key, err);
    }
    try {
      if (options.size !== undefined && size !== options.size) {
        await fs.rm(tmp, { force: true });
        throw new RegistryError('INVALID_PARAMETER_VALUE', `The body had ${size} bytes, not the announced ${options.size}.`);
      }
      await fs.rename(tmp, target);
      return { size };
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err instanceof RegistryError ? err : this.writeError(key, err);
    }
  }

  /** mkdir -p + exclusive create; retried because a concurrent remove() may prune the empty directory in between. */
  private async createTemp(key: string, tmp: string): Promise<fs.FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fs.mkdir(path.dirname(tmp), { recursive: true });
        return await fs.open(tmp, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw this.writeError(key, err);
      }
    }
  }

  private writeError(key: string, err: unknown): RegistryError {
    const code = (err as NodeJS.ErrnoException).code;
    // A file where a directory is needed (or the reverse): S3 allows both, a filesystem does not.
    if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
      return new RegistryError('INVALID_PARAMETER_VALUE', `Cannot write artifact '${key}': a file and a directory would have the same path.`);
    }
    return storeUnavailable('writing', key, err);
  }

  async stat(key: string): Promise<ArtifactStat | undefined> {
    try {
      const s = await fs.stat(this.pathOf(key));
      return s.isFile() ? { size: s.size, lastModified: s.mtime } : undefined;
    } catch (err) {
      if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw storeUnavailable('reading', key, err);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const { handle } = await this.openFile(key);
    return createReadStream('', { fd: handle, start: range?.start, end: range?.end, highWaterMark: 1024 * 1024 });
  }

  async writeTo(key: string, out: Writable, range?: ByteRange): Promise<void> {
    const { handle, size } = await this.openFile(key);
    const start = range?.start ?? 0;
    const length = (range?.end ?? size - 1) - start + 1;
    const file = {
      read: (buffer: Buffer, offset: number, bytes: number, position: number) =>
        handle.read(buffer, offset, bytes, position).catch((err: unknown) => {
          throw storeUnavailable('reading', key, err);
        }),
    };
    try {
      await sendFileRange(file, out, start, length);
    } finally {
      await handle.close();
    }
  }

  private async openFile(key: string): Promise<{ handle: fs.FileHandle; size: number }> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (MISSING.has(code) || code === 'EISDIR') throw artifactNotFound(key);
      throw storeUnavailable('reading', key, err);
    }
    const s = await handle.stat();
    if (!s.isFile()) {
      await handle.close();
      throw artifactNotFound(key);
    }
    return { handle, size: s.size };
  }

  async list(dir: string): Promise<ArtifactEntry[]> {
    const entries = await this.readDir(dir);
    const out: ArtifactEntry[] = [];
    for (let i = 0; i < entries.length; i += STAT_BATCH) {
      const batch = entries.slice(i, i + STAT_BATCH);
      const sizes = await Promise.all(
        batch.map((d) =>
          d.isFile()
            ? fs.stat(path.join(d.parentPath, d.name)).then(
                (s) => s.size,
                () => undefined,
              )
            : Promise.resolve(undefined),
        ),
      );
      batch.forEach((d, j) => {
        if (d.isDirectory()) out.push({ name: d.name, isDir: true });
        else if (sizes[j] !== undefined) out.push({ name: d.name, isDir: false, size: sizes[j] });
      });
    }
    return out;
  }

  /** Regular files and directories, sorted; temp files and anything else (symlinks, sockets) are skipped. */
  private async readDir(dir: string): Promise<Dirent[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(this.pathOf(dir), { withFileTypes: true });
    } catch (err) {
      if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw storeUnavailable('listing', dir, err);
    }
    return entries.filter((d) => (d.isFile() || d.isDirectory()) && !d.name.startsWith(TEMP_NAME_PREFIX)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async *walk(dir: string): AsyncIterable<ArtifactFile> {
    for (const entry of await this.list(dir)) {
      const key = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDir) yield* this.walk(key);
      else yield { key, size: entry.size! };
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await fs.rm(this.pathOf(key), { recursive: true, force: true });
    } catch (err) {
      throw storeUnavailable('deleting', key, err);
    }
    await this.pruneEmptyParents(key);
  }

  /** S3 has no empty directories; drop the ones a remove leaves behind so listings match. */
  private async pruneEmptyParents(key: string): Promise<void> {
    const parts = key.split('/');
    for (let n = parts.length - 1; n > 0; n--) {
      try {
        await fs.rmdir(this.pathOf(parts.slice(0, n).join('/')));
      } catch {
        return; // not empty (or already gone): stop
      }
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    if ((await this.stat(fromKey)) === undefined) throw artifactNotFound(fromKey);
    const target = this.pathOf(toKey);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(this.pathOf(fromKey), target);
    } catch (err) {
      throw this.writeError(toKey, err);
    }
    await this.pruneEmptyParents(fromKey);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    if ((await this.stat(fromKey)) === undefined) throw artifactNotFound(fromKey);
    await this.put(toKey, await this.get(fromKey));
  }
}
