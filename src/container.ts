import type { Config } from './config';
import { codePointOrderOf } from './db/collation';
import { ChangeFeed } from './db/change-feed';
import { createDatabase, type PrismaClient } from './db/prisma';
import { createTokenVerifier, type TokenVerifier } from './http/authenticate';
import { Metrics } from './http/metrics';
import { type Clock, systemClock } from './lib/clock';
import { InvalidatedCache } from './lib/invalidated-cache';
import type { Logger } from './logger';
import { AuditRepository } from './modules/audit/audit.repository';
import { AuditService } from './modules/audit/audit.service';
import { AuditTrailService } from './modules/audit/audit-trail.service';
import { ExperimentsRepository } from './modules/experiments/experiments.repository';
import { ExperimentsService } from './modules/experiments/experiments.service';
import { searchExperimentIds } from './search/experiments-search';
import { RunsRepository } from './modules/runs/runs.repository';
import { RunsService } from './modules/runs/runs.service';
import { searchRunIds } from './search/runs-search';
import { LoggedModelsRepository } from './modules/logged-models/logged-models.repository';
import { LoggedModelsService } from './modules/logged-models/logged-models.service';
import { searchLoggedModelIds } from './search/logged-models-search';
import { ServingService } from './modules/serving/serving.service';
import { PredictionsService } from './modules/serving/predictions.service';
import { Scorer } from './modules/serving/scoring/scorer';
import { PermissionsRepository } from './modules/permissions/permissions.repository';
import { PermissionsService } from './modules/permissions/permissions.service';
import { GrantsRepository } from './modules/permissions/grants.repository';
import { GrantsService } from './modules/permissions/grants.service';
import type { ArtifactStore } from './storage/artifact-store';
import type { ModelVersionsService } from './modules/registry/model-versions.service';
import type { TransitionRequestsService } from './modules/registry/transition-requests.service';
import type { CommentsService } from './modules/registry/comments.service';
import type { FoundModel, RegisteredModelsService } from './modules/registry/registered-models.service';
import { createRegistry } from './modules/registry/registry';
import { searchModelVersionKeys, searchRegisteredModelIds } from './search/registry-search';
import { createArtifactStore } from './storage/create-artifact-store';
import { ArtifactAccess } from './modules/artifacts/artifact-access';
import { ArtifactsService } from './modules/artifacts/artifacts.service';
import { MIGRATIONS_DIR } from './db/migrate';
import { checkDirectoryWritable, queryAppliedMigrations, Readiness, shippedMigrations } from './http/readiness';
import { LocalArtifactStore } from './storage/local-artifact-store';
import { GcRepository } from './modules/gc/gc.repository';
import { GcService } from './modules/gc/gc.service';
import { WebhooksRepository } from './modules/webhooks/webhooks.repository';
import { WebhooksService } from './modules/webhooks/webhooks.service';
import { WebhookOutbox } from './modules/webhooks/webhook-outbox';
import { WebhookDeliveryWorker } from './modules/webhooks/webhook-delivery';
import { WebhookSender } from './modules/webhooks/webhook-http';
import { readOrCreateWebhookKey, SecretBox } from './modules/webhooks/webhook-signer';

/** The composition root: the one place that builds and wires every dependency. */
export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  prisma: PrismaClient;
  tokens: TokenVerifier;
  permissions: PermissionsService;
  audit: AuditService;
  experiments: ExperimentsService;
  runs: RunsService;
  grants: GrantsService;
  loggedModels: LoggedModelsService;
  serving: ServingService;
  /** ONNX predictions (POST /api/2.0/serving/models/<name>/<selector>/invocations); sessions load on first use. */
  predictions: PredictionsService;
  auditTrail: AuditTrailService;
  artifactStore: ArtifactStore;
  registeredModels: RegisteredModelsService;
  modelVersions: ModelVersionsService;
  /** Promotion requests and approval policies (README "Promotion requests"). */
  transitionRequests: TransitionRequestsService;
  /** Comments on model versions and their activity feed. */
  comments: CommentsService;
  artifacts: ArtifactsService;
  /** Who owns an artifact key (the artifact rows' finder). */
  artifactAccess: ArtifactAccess;
  /** The LISTEN connection that keeps the registered-model cache fresh (absent when it is off). */
  registryChanges?: ChangeFeed;
  /** Prometheus metrics on a registry of this container's own (GET /metrics). */
  metrics: Metrics;
  /** What /ready reports; main.ts marks it shutting down. */
  readiness: Readiness;
  /** Garbage collection of soft-deleted data and orphaned artifacts (endpoint, `npm run gc`, GC_INTERVAL). */
  gc: GcService;
  /** Webhooks on MLflow 3's API (README "Webhooks"). */
  webhooks: WebhooksService;
  /** This replica's webhook delivery worker: main.ts starts it (tests start it themselves); dispose() stops it. */
  webhookDelivery: WebhookDeliveryWorker;
  dispose(): Promise<void>;
}

export interface ContainerOptions {
  databaseUrl: string;
  /** Where the registered-model cache's LISTEN connection goes (databaseUrl unless given). */
  listenUrl?: string;
  clock?: Clock;
}

export async function createContainer(config: Config, logger: Logger, options: ContainerOptions): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics();
  const database = createDatabase(options.databaseUrl, config.databasePoolSize, config.databaseStatementTimeoutMs, metrics.queryDone);
  metrics.watchPool(database.pool);
  const prisma = database.prisma;
  const codePointOrder = codePointOrderOf(database.sql);
  // Every audit event of a registry change also feeds the webhooks' outbox, in the change's transaction.
  const webhooksRepo = new WebhooksRepository(prisma);
  // The registry is made further down (it needs the audit trail); the outbox asks it only once a change runs.
  const webhookOutbox = new WebhookOutbox(
    webhooksRepo,
    (modelId, db) => registry.isPrompt(modelId, db),
    () => setTimeout(() => webhookDelivery.poke(), 20).unref(),
  );
  const audit = new AuditService(new AuditRepository(prisma), clock, webhookOutbox);
  const permissions = new PermissionsService(new PermissionsRepository(prisma, database.sql), config, clock, audit);
  const experiments = new ExperimentsService(new ExperimentsRepository(prisma, database.sql), permissions, audit, clock, (input, scope) =>
    searchExperimentIds(database.sql.adhoc, input, scope),
  );
  const runs = new RunsService(new RunsRepository(prisma, database.sql), experiments, permissions, clock, (input, scope) => searchRunIds(database.sql.adhoc, input, scope));
  const artifactStore = await createArtifactStore(config);
  // Logged models show the registry versions registered from them, and the registry checks the logged
  // models it registers: the first lookup goes to `registry` (below) when a request makes it.
  const loggedModels = new LoggedModelsService({
    repo: new LoggedModelsRepository(prisma, database.sql),
    experiments,
    runs,
    permissions,
    store: artifactStore,
    clock,
    searchIds: (q, scope) => searchLoggedModelIds(database.sql.adhoc, q, scope),
    registrations: (ids) => registry.registrationsOfLoggedModels(ids),
  });
  // Registered models as read for registered-models/get, kept fresh by the registry_changed
  // notifications (migration 20261125090000) and by this process's own writes. The heartbeat and the
  // maximum age bound how long a replica may answer from it after its connection silently died.
  let registryChanges: ChangeFeed | undefined;
  // Others told of every registry_changed notification (the predictions' warming, below).
  const registryListeners: Array<() => void> = [];
  const modelCache = new InvalidatedCache<FoundModel>(config.registeredModelCacheSize, () => registryChanges?.live ?? false, {
    maxAgeMs: config.registeredModelCacheMaxAgeMs,
    maxBytes: config.registeredModelCacheMaxBytes,
    onLookup: metrics.registeredModelLookup,
  });
  if (config.registeredModelCacheSize > 0) {
    registryChanges = new ChangeFeed(
      options.listenUrl ?? options.databaseUrl,
      'registry_changed',
      logger,
      () => {
        modelCache.invalidate();
        for (const listener of registryListeners) listener();
      },
      {
        heartbeatMs: config.registeredModelCacheHeartbeatMs,
        heartbeatTimeoutMs: config.registeredModelCacheHeartbeatTimeoutMs,
      },
    );
    await registryChanges.start();
  }
  const registry = createRegistry({
    prisma,
    sql: database.sql,
    permissions,
    audit,
    clock,
    runs,
    loggedModels,
    protectedAliases: config.protectedAliases,
    searchModels: async (input, scope) => searchRegisteredModelIds(database.sql.adhoc, input, scope, await codePointOrder()),
    searchVersions: async (input, scope) => searchModelVersionKeys(database.sql.adhoc, input, scope, await codePointOrder()),
    modelCache,
    approval: config.approval,
  });
  const { registeredModels, modelVersions, transitionRequests, comments } = registry;
  const grants = new GrantsService({ repo: new GrantsRepository(prisma), permissions, experiments, findModel: (name) => registry.findModel(name), audit, clock });
  const auditTrail = new AuditTrailService(
    audit,
    (id) => experiments.exists(id),
    async (name) => (await registry.findModel(name))?.id ?? null,
  );
  const serving = new ServingService(modelVersions, artifactStore, config.limits.uploadBytes);
  const scorer = new Scorer(config.serving);
  metrics.watchServing(() => scorer.stats());
  const predictions = new PredictionsService(serving, artifactStore, scorer);
  // A promotion or an alias move loads the new version's model before its first request.
  registryListeners.push(() => void predictions.registryChanged());
  const artifactAccess = new ArtifactAccess(experiments, runs, permissions);
  const artifacts = new ArtifactsService(artifactStore, artifactAccess, runs, config.limits);
  const webhookPolicy = { allowedHosts: config.webhooks.allowedHosts, allowPrivateNetworks: config.webhooks.allowPrivateNetworks };
  const webhookSender = new WebhookSender({ policy: webhookPolicy, timeoutMs: config.webhooks.timeoutMs, maxResponseBytes: 64 * 1024, excerptBytes: 1024 });
  // The generated key is read or made on first use, so a read-only DATA_DIR only matters to webhooks with secrets.
  const webhookSecrets = new SecretBox(() => config.webhooks.secretKey ?? readOrCreateWebhookKey(config.dataDir).key);
  const webhooks = new WebhooksService({
    repo: webhooksRepo,
    secrets: webhookSecrets,
    sender: webhookSender,
    policy: webhookPolicy,
    permissions,
    clock,
    findModel: (name) => registry.findModel(name),
    modelNames: (ids) => registry.modelNames(ids),
  });
  const gc = new GcService({
    repo: new GcRepository(prisma, database.pool),
    store: artifactStore,
    audit,
    clock,
    webhookLog: { retentionMs: config.webhooks.logRetentionSeconds * 1000, prune: (cutoffMs, dryRun) => webhooks.pruneLog(cutoffMs, dryRun) },
  });
  const webhookDelivery: WebhookDeliveryWorker = new WebhookDeliveryWorker(
    webhooksRepo,
    webhookSender,
    webhookSecrets,
    clock,
    { ...config.webhooks, horizonMs: config.webhooks.retryHorizonSeconds * 1000 },
    logger,
    metrics.webhookDelivered,
  );
  const expectedMigrations = await shippedMigrations(MIGRATIONS_DIR);
  const readiness = new Readiness(
    {
      appliedMigrations: () => queryAppliedMigrations(options.databaseUrl, config.readyTimeoutMs),
      expectedMigrations,
      // S3: the bucket answers (init() is a HEAD on it when it exists); local: the directory is writable.
      artifactStore: () => (artifactStore instanceof LocalArtifactStore ? checkDirectoryWritable(artifactStore.root) : artifactStore.init()),
      artifactStoreKind: artifactStore.kind,
    },
    config.readyTimeoutMs,
    logger,
  );
  return {
    config,
    logger,
    clock,
    prisma,
    tokens: createTokenVerifier(config, {}, metrics.tokenLookup),
    permissions,
    audit,
    experiments,
    runs,
    grants,
    loggedModels,
    serving,
    predictions,
    auditTrail,
    artifactStore,
    registeredModels,
    modelVersions,
    transitionRequests,
    comments,
    artifacts,
    artifactAccess,
    registryChanges,
    metrics,
    readiness,
    gc,
    webhooks,
    webhookDelivery,
    async dispose() {
      readiness.shuttingDown = true;
      await webhookDelivery.stop();
      webhookSender.close();
      // Side by side: one that fails or hangs (a database already gone) keeps none of the others open.
      const results = await Promise.allSettled([registryChanges?.close(), artifactStore.close(), database.close(), predictions.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
