-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "experiments" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "artifact_location" TEXT NOT NULL,
    "lifecycle_stage" TEXT NOT NULL DEFAULT 'active',
    "creation_time" BIGINT NOT NULL,
    "last_update_time" BIGINT NOT NULL,

    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiment_tags" (
    "experiment_id" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "experiment_tags_pkey" PRIMARY KEY ("experiment_id","key")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" TEXT NOT NULL,
    "experiment_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "user_id" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "start_time" BIGINT NOT NULL,
    "end_time" BIGINT,
    "lifecycle_stage" TEXT NOT NULL DEFAULT 'active',
    "deleted_time" BIGINT,
    "artifact_uri" TEXT NOT NULL,

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "params" (
    "run_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "params_pkey" PRIMARY KEY ("run_id","key")
);

-- CreateTable
CREATE TABLE "run_tags" (
    "run_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "run_tags_pkey" PRIMARY KEY ("run_id","key")
);

-- CreateTable
CREATE TABLE "metrics" (
    "run_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,
    "is_nan" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "metrics_pkey" PRIMARY KEY ("run_id","key","step","timestamp","value","is_nan")
);

-- CreateTable
CREATE TABLE "latest_metrics" (
    "run_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,
    "is_nan" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "latest_metrics_pkey" PRIMARY KEY ("run_id","key")
);

-- CreateTable
CREATE TABLE "datasets" (
    "id" TEXT NOT NULL,
    "experiment_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "source_type" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "schema" TEXT,
    "profile" TEXT,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_dataset_inputs" (
    "run_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "tags" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "run_dataset_inputs_pkey" PRIMARY KEY ("run_id","dataset_id")
);

-- CreateTable
CREATE TABLE "run_model_inputs" (
    "run_id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,

    CONSTRAINT "run_model_inputs_pkey" PRIMARY KEY ("run_id","model_id")
);

-- CreateTable
CREATE TABLE "run_model_outputs" (
    "run_id" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "run_model_outputs_pkey" PRIMARY KEY ("run_id","model_id")
);

-- CreateTable
CREATE TABLE "logged_models" (
    "id" TEXT NOT NULL,
    "experiment_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "model_type" TEXT,
    "source_run_id" TEXT,
    "status" TEXT NOT NULL,
    "status_message" TEXT,
    "artifact_location" TEXT NOT NULL,
    "lifecycle_stage" TEXT NOT NULL DEFAULT 'active',
    "creation_time" BIGINT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,

    CONSTRAINT "logged_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "logged_model_tags" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_tags_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "logged_model_params" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_params_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "registered_models" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "user_id" TEXT,
    "creation_time" BIGINT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,
    "last_version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "registered_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registered_model_tags" (
    "model_id" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "registered_model_tags_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "model_id" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "storage_location" TEXT,
    "run_id" TEXT,
    "run_link" TEXT,
    "logged_model_id" TEXT,
    "status" TEXT NOT NULL DEFAULT 'READY',
    "status_message" TEXT,
    "current_stage" TEXT NOT NULL DEFAULT 'None',
    "description" TEXT,
    "user_id" TEXT,
    "creation_time" BIGINT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("model_id","version")
);

-- CreateTable
CREATE TABLE "model_version_tags" (
    "model_id" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "model_version_tags_pkey" PRIMARY KEY ("model_id","version","key")
);

-- CreateTable
CREATE TABLE "registered_model_aliases" (
    "model_id" BIGINT NOT NULL,
    "alias" TEXT NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "registered_model_aliases_pkey" PRIMARY KEY ("model_id","alias")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "model_id" BIGINT,
    "model_name" TEXT,
    "version" INTEGER,
    "experiment_id" BIGINT,
    "before" JSONB,
    "after" JSONB,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "permission_grants" (
    "id" BIGSERIAL NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "principal_type" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,

    CONSTRAINT "permission_grants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "experiments_name_key" ON "experiments"("name");

-- CreateIndex
CREATE INDEX "experiments_lifecycle_stage_creation_time_idx" ON "experiments"("lifecycle_stage", "creation_time");

-- CreateIndex
CREATE INDEX "experiment_tags_key_value_idx" ON "experiment_tags"("key", "value");

-- CreateIndex
CREATE INDEX "runs_experiment_id_lifecycle_stage_start_time_id_idx" ON "runs"("experiment_id", "lifecycle_stage", "start_time" DESC, "id");

-- CreateIndex
CREATE INDEX "params_key_value_idx" ON "params"("key", "value");

-- CreateIndex
CREATE INDEX "run_tags_key_value_idx" ON "run_tags"("key", "value");

-- CreateIndex
CREATE INDEX "latest_metrics_key_value_idx" ON "latest_metrics"("key", "value");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_experiment_id_name_digest_key" ON "datasets"("experiment_id", "name", "digest");

-- CreateIndex
CREATE INDEX "logged_models_experiment_id_creation_time_idx" ON "logged_models"("experiment_id", "creation_time");

-- CreateIndex
CREATE UNIQUE INDEX "registered_models_name_key" ON "registered_models"("name");

-- CreateIndex
CREATE INDEX "registered_models_last_updated_time_idx" ON "registered_models"("last_updated_time");

-- CreateIndex
CREATE INDEX "registered_model_tags_key_value_idx" ON "registered_model_tags"("key", "value");

-- CreateIndex
CREATE INDEX "model_versions_model_id_current_stage_idx" ON "model_versions"("model_id", "current_stage");

-- CreateIndex
CREATE INDEX "model_versions_run_id_idx" ON "model_versions"("run_id");

-- CreateIndex
CREATE INDEX "model_version_tags_key_value_idx" ON "model_version_tags"("key", "value");

-- CreateIndex
CREATE INDEX "audit_events_model_id_id_idx" ON "audit_events"("model_id", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_model_name_id_idx" ON "audit_events"("model_name", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_experiment_id_id_idx" ON "audit_events"("experiment_id", "id" DESC);

-- CreateIndex
CREATE INDEX "permission_grants_principal_type_principal_resource_type_idx" ON "permission_grants"("principal_type", "principal", "resource_type");

-- CreateIndex
CREATE UNIQUE INDEX "permission_grants_resource_type_resource_id_principal_type__key" ON "permission_grants"("resource_type", "resource_id", "principal_type", "principal");

-- AddForeignKey
ALTER TABLE "experiment_tags" ADD CONSTRAINT "experiment_tags_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "params" ADD CONSTRAINT "params_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_tags" ADD CONSTRAINT "run_tags_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "latest_metrics" ADD CONSTRAINT "latest_metrics_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_dataset_inputs" ADD CONSTRAINT "run_dataset_inputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_dataset_inputs" ADD CONSTRAINT "run_dataset_inputs_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_inputs" ADD CONSTRAINT "run_model_inputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_outputs" ADD CONSTRAINT "run_model_outputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_tags" ADD CONSTRAINT "logged_model_tags_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_params" ADD CONSTRAINT "logged_model_params_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_tags" ADD CONSTRAINT "registered_model_tags_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_tags" ADD CONSTRAINT "model_version_tags_model_id_version_fkey" FOREIGN KEY ("model_id", "version") REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_aliases" ADD CONSTRAINT "registered_model_aliases_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- MLflow's Default experiment always exists with id "0".
INSERT INTO "experiments" ("id", "name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time")
VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', (extract(epoch from now()) * 1000)::bigint, (extract(epoch from now()) * 1000)::bigint);
