import type { ArtifactEntry, PresignedPart } from '../../storage/artifact-store';

/** FileInfo (mlflow-api.md §1.3/§1.7): file_size only for files; is_dir always present. */
export const toApiFileInfo = (path: string, isDir: boolean, size?: number) => ({
  path,
  is_dir: isDir,
  ...(!isDir && size !== undefined ? { file_size: size } : {}),
});

export const toApiDirectoryEntry = (e: ArtifactEntry) => toApiFileInfo(e.name, e.isDir, e.size);

/** CreateMultipartUpload.Response: empty header maps are omitted like every empty field. */
export const toApiMultipartCredential = (part: PresignedPart) => ({
  url: part.url,
  part_number: part.partNumber,
  ...(Object.keys(part.headers).length > 0 ? { headers: part.headers } : {}),
});
