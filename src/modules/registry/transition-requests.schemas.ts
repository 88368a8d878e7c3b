import { z } from 'zod';
import { LIMITS } from '../../http/limits';
import { bool, repeated, requiredString, text } from '../../http/wire';
import { modelName, versionNumber } from './registered-models.schemas';

/**
 * Promotion-request messages: Databricks' transition requests (docs.databricks.com/api/model-registry/v1/transition-request)
 * and our alias requests in the same style. Stages are checked by the service (canonicalStage).
 */

const name = modelName();
const version = versionNumber();
/** Comments on requests and on model versions: the cap of a description. */
export const COMMENT_LENGTH = LIMITS.descriptionLength;
const comment = text(COMMENT_LENGTH).optional();
const stage = requiredString().pipe(text(64));
const alias = requiredString().pipe(text(LIMITS.aliasLength));
const creator = text(LIMITS.principalNameLength).optional();

export const CreateTransitionRequest = z.object({ name, version, stage, comment });
export const ApproveTransitionRequest = z.object({ name, version, stage, archive_existing_versions: bool().default(false), comment });
export const RejectTransitionRequest = z.object({ name, version, stage, comment });
export const DeleteTransitionRequest = z.object({ name, version, stage, creator, comment });
export const ListTransitionRequests = z.object({ name, version });

export const CreateAliasRequest = z.object({ name, version, alias, comment });
export const ApproveAliasRequest = z.object({ name, version, alias, comment });
export const RejectAliasRequest = z.object({ name, version, alias, comment });
export const DeleteAliasRequest = z.object({ name, version, alias, creator, comment });
export const ListAliasRequests = z.object({ name, version });

export const GetApprovalPolicy = z.object({ name });
export const SetApprovalPolicy = z.object({ name, require_approval: repeated(requiredString().pipe(text(32)), 8).default([]) });
