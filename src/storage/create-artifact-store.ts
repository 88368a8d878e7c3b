import type { Config } from '../config';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

/** S3/MinIO when S3_ENDPOINT is set, else the local filesystem under DATA_DIR/artifacts; ready to use. */
export async function createArtifactStore(config: Config): Promise<ArtifactStore> {
  const store = config.s3 ? new S3ArtifactStore(config.s3) : new LocalArtifactStore(config.dataDir);
  await store.init();
  return store;
}
