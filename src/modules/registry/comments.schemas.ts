import { z } from 'zod';
import { int64, requiredString, text } from '../../http/wire';
import { modelName, versionNumber } from './registered-models.schemas';
import { COMMENT_LENGTH } from './transition-requests.schemas';

/** Comment messages (Databricks: docs.databricks.com/api/model-registry/v1/comment) and the activity feed's query. */

const name = modelName();
const version = versionNumber();
const comment = requiredString().pipe(text(COMMENT_LENGTH));
const id = requiredString().pipe(text(32));
const maxResults = int64().pipe(z.number().min(1).max(1000)).default(100);

export const CreateComment = z.object({ name, version, comment });
export const UpdateComment = z.object({ id, comment });
export const DeleteComment = z.object({ id });
export const ListComments = z.object({ name, version, max_results: maxResults, page_token: z.string().optional() });
export const GetVersionActivity = z.object({ name, version, max_results: maxResults, page_token: z.string().optional() });
