import type { Config } from './config';
import { createPrismaClient, type PrismaClient } from './db/prisma';
import { createTokenVerifier, type TokenVerifier } from './http/authenticate';
import { type Clock, systemClock } from './lib/clock';
import type { Logger } from './logger';
import { AuditRepository } from './modules/audit/audit.repository';
import { AuditService } from './modules/audit/audit.service';
import { PermissionsRepository } from './modules/permissions/permissions.repository';
import { PermissionsService } from './modules/permissions/permissions.service';
import type { ArtifactStore } from './storage/artifact-store';
import { createArtifactStore } from './storage/create-artifact-store';

/** The composition root: the one place that builds and wires every dependency. */
export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  prisma: PrismaClient;
  tokens: TokenVerifier;
  permissions: PermissionsService;
  audit: AuditService;
  artifactStore: ArtifactStore;
  dispose(): Promise<void>;
}

export interface ContainerOptions {
  databaseUrl: string;
  clock?: Clock;
}

export async function createContainer(config: Config, logger: Logger, options: ContainerOptions): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const prisma = createPrismaClient(options.databaseUrl, config.databasePoolSize);
  const permissions = new PermissionsService(new PermissionsRepository(prisma), config, clock);
  const audit = new AuditService(new AuditRepository(prisma), clock);
  const artifactStore = await createArtifactStore(config);
  return {
    config,
    logger,
    clock,
    prisma,
    tokens: createTokenVerifier(config),
    permissions,
    audit,
    artifactStore,
    async dispose() {
      await artifactStore.close();
      await prisma.$disconnect();
    },
  };
}
