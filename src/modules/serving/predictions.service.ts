import type { Principal } from '../../http/principal';
import { artifactKey, joinKey } from '../../storage/artifact-key';
import type { ArtifactStore } from '../../storage/artifact-store';
import type { VersionSelector } from '../registry/model-versions.service';
import type { ModelGrant } from '../registry/registry-access';
import type { ModelSource, Scorer } from './scoring/scorer';
import type { ServedVersion, ServingService } from './serving.service';

/** A selector served recently, as its caller asked for it: re-resolved (with that caller's view) on a registry change. */
interface Followed {
  p: Principal;
  model: ModelGrant;
  selector: VersionSelector;
  etag: string;
}

/** Selectors followed for warming; the oldest is dropped beyond this. */
const FOLLOWED = 16;

export interface Prediction {
  served: ServedVersion;
  body: { predictions: unknown };
}

/**
 * POST /api/2.0/serving/models/<name>/<selector>/invocations (README "Predictions"): the selector
 * is resolved on every request, exactly as the archive route resolves it, so a promotion or an
 * alias move is seen by the next request in every replica with nothing to invalidate; loaded
 * sessions are cached by the version's ETag, and requests already running on the old version finish
 * on it (the cache releases a session only when its last request ends). The registry's change
 * notifications (registry_changed) only warm: the selectors served recently are resolved again and
 * a new version's model is loaded before the first request for it.
 */
export class PredictionsService {
  private readonly followed = new Map<string, Followed>();
  private warming: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly serving: ServingService,
    private readonly store: ArtifactStore,
    private readonly scorer: Scorer,
  ) {}

  async predict(p: Principal, model: ModelGrant, selector: VersionSelector, contentType: string | undefined, body: Buffer): Promise<Prediction> {
    const served = await this.serving.resolve(p, model, selector);
    if (selector.version === undefined) this.follow({ p, model, selector, etag: served.etag });
    return { served, body: await this.scorer.predict(this.source(served), contentType, body) };
  }

  private follow(f: Followed): void {
    const key = `${f.model.id}\0${f.p.subject}\0${JSON.stringify(f.selector)}`;
    this.followed.delete(key);
    this.followed.set(key, f);
    if (this.followed.size > FOLLOWED) this.followed.delete(this.followed.keys().next().value!);
  }

  /**
   * A registry change (a promotion, an alias move): loads the versions the followed selectors name
   * now, so the first request after a promotion does not wait for the load. Best effort: failures
   * are ignored (the request loads it, or answers why not). Resolves when done (for tests).
   */
  registryChanged(): Promise<void> {
    if (this.warming) {
      this.again = true;
      return this.warming;
    }
    this.warming = (async () => {
      do {
        this.again = false;
        for (const f of [...this.followed.values()]) {
          try {
            const served = await this.serving.resolve(f.p, f.model, f.selector);
            if (served.etag === f.etag) continue;
            f.etag = served.etag;
            await this.scorer.warm(this.source(served));
          } catch {
            // not servable now, or gone: the next request says why
          }
        }
      } while (this.again);
    })().finally(() => (this.warming = undefined));
    return this.warming;
  }

  /** A version's files as the scorer reads them. */
  private source(served: ServedVersion): ModelSource {
    const keyOf = (path: string) => joinKey(served.rootKey, artifactKey(path.split('/')));
    return {
      key: served.etag,
      size: async (path) => (await this.store.stat(keyOf(path)))?.size,
      read: async (path) => {
        const chunks: Buffer[] = [];
        for await (const chunk of await this.store.get(keyOf(path))) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
    };
  }

  stats() {
    return this.scorer.stats();
  }

  close(): Promise<void> {
    return this.scorer.close();
  }
}
