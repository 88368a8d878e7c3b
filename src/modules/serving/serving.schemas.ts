import { z } from 'zod';
import { requiredString } from '../../http/wire';
import { modelName, versionNumber } from '../registry/registered-models.schemas';
import { parseSelector } from './serving.service';

/**
 * `/registry/models/<name>/<selector>/…`: the selector is checked here (400 before the model is
 * looked up); the stage it may name is checked once the model is found.
 */
export const ServedModel = z.object({ name: z.string(), selector: z.string().transform(parseSelector) });
export type ServedModelInput = z.output<typeof ServedModel>;

/**
 * MLflow UI's `GET model-versions/get-artifact?name=&version=&path=` (mlflow/server/handlers.py
 * get_model_version_artifact_handler): one file of a version; `path` is checked like every artifact path.
 */
export const GetModelVersionArtifact = z.object({ name: modelName(), version: versionNumber(), path: requiredString() });

/** `…/files/<path>`: Express 5 hands the wildcard over as an array of decoded segments. */
export const ServedFile = ServedModel.extend({
  path: z.preprocess((v) => v ?? [], z.array(z.string())),
});

/** `POST /registry/models/<name>/versions`: the query string beside the multipart body. */
export const VersionUpload = z.object({
  name: z.string(),
  path: z.string().optional(),
  description: z.string().max(5000).optional(),
  run_id: z.string().optional(),
});
