import type { PrismaClient } from '@prisma/client';
import { invalidParameter } from '../../errors';
import { decodePageToken, pageOf } from '../../lib/page-token';
import type { SearchModelVersionKeys } from '../model-versions/model-versions.service';
import { DELETED_STAGE } from '../model-versions/stages';
import type { VisibleScope } from '../permissions/permissions.service';
import type { SearchRegisteredModelIds } from './registered-models.service';

// TEMPORARY until src/search lands: name order only, no filter DSL.
const scopeWhere = (scope: VisibleScope) =>
  scope.kind === 'all'
    ? {}
    : scope.kind === 'except'
      ? { id: { notIn: scope.ids.map(BigInt) } }
      : { id: { in: scope.ids.map(BigInt) } };

const noFilter = (filter: string | undefined) => {
  if (filter) throw invalidParameter('Search filters are not supported yet.');
};

export function registrySearch(prisma: PrismaClient): {
  registeredModelIds: SearchRegisteredModelIds;
  modelVersionKeys: SearchModelVersionKeys;
} {
  return {
    async registeredModelIds(input, scope) {
      noFilter(input.filter);
      const offset = decodePageToken(input.pageToken);
      const rows = await prisma.registeredModel.findMany({
        where: scopeWhere(scope),
        orderBy: { name: 'asc' },
        skip: offset,
        take: input.maxResults + 1,
        select: { id: true },
      });
      const page = pageOf(rows, offset, input.maxResults);
      return { ids: page.items.map((r) => r.id), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
    async modelVersionKeys(input, scope) {
      noFilter(input.filter);
      const offset = decodePageToken(input.pageToken);
      const rows = await prisma.modelVersion.findMany({
        where: { currentStage: { not: DELETED_STAGE }, model: scopeWhere(scope) },
        orderBy: [{ model: { name: 'asc' } }, { version: 'desc' }],
        skip: offset,
        take: input.maxResults + 1,
        select: { modelId: true, version: true },
      });
      const page = pageOf(rows, offset, input.maxResults);
      return { keys: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  };
}
