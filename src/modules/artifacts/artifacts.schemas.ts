import { z } from 'zod';

const optionalString = z.string().optional();

/** GET /mlflow/artifacts/list (mlflow-api.md §1.3); `run_uuid` is the legacy name of `run_id`. */
export const ListArtifacts = z
  .object({ run_id: optionalString, run_uuid: optionalString, path: optionalString, page_token: optionalString })
  .transform((q, ctx) => {
    const runId = q.run_id || q.run_uuid;
    if (!runId) {
      ctx.addIssue({ code: 'custom', path: ['run_id'], message: 'required', input: undefined });
      return z.NEVER;
    }
    return { runId, path: q.path, pageToken: q.page_token };
  });
export type ListArtifactsInput = z.output<typeof ListArtifacts>;

/** GET /mlflow-artifacts/artifacts?path= (mlflow-api.md §1.7). */
export const ListArtifactsMlflowArtifacts = z.object({ path: optionalString });

const intLike = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** POST /mlflow-artifacts/mpu/create/<dir>: `path` is the client's local file; its basename names the object. */
export const CreateMultipartUpload = z.object({
  path: z.string().min(1),
  num_parts: intLike(1, 10_000).default(1),
});

export const CompleteMultipartUpload = z.object({
  path: z.string().min(1),
  upload_id: z.string().min(1),
  parts: z
    .array(z.object({ part_number: intLike(1, 10_000), etag: z.string().min(1), url: optionalString }))
    .min(1),
});

export const AbortMultipartUpload = z.object({
  path: z.string().min(1),
  upload_id: z.string().min(1),
});

/** POST /mlflow-artifacts/upload (multipart/form-data, our addition for clients without MLflow). */
export const UploadQuery = z.object({ run_id: optionalString, path: optionalString });
export type UploadQueryInput = z.output<typeof UploadQuery>;
