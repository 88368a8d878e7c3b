-- Governance (README "Promotion requests"): transition and protected-alias requests, comments on
-- model versions, and per-model approval policies.
-- CreateTable
CREATE TABLE "transition_requests" (
    "id" BIGSERIAL NOT NULL,
    "model_id" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "comment" TEXT,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "creation_time" BIGINT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,
    "closed_by" TEXT,
    "close_comment" TEXT,

    CONSTRAINT "transition_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_version_comments" (
    "id" BIGSERIAL NOT NULL,
    "model_id" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "comment" TEXT NOT NULL,
    "creation_time" BIGINT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,

    CONSTRAINT "model_version_comments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "approval_policies" (
    "model_id" BIGINT NOT NULL,
    "require_approval" TEXT[],
    "updated_by" TEXT NOT NULL,
    "last_updated_time" BIGINT NOT NULL,

    CONSTRAINT "approval_policies_pkey" PRIMARY KEY ("model_id")
);

-- CreateIndex
CREATE INDEX "transition_requests_model_id_version_status_idx" ON "transition_requests"("model_id", "version", "status");

-- CreateIndex
CREATE INDEX "model_version_comments_model_id_version_id_idx" ON "model_version_comments"("model_id", "version", "id");

-- AddForeignKey
ALTER TABLE "transition_requests" ADD CONSTRAINT "transition_requests_model_id_version_fkey" FOREIGN KEY ("model_id", "version") REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_comments" ADD CONSTRAINT "model_version_comments_model_id_version_fkey" FOREIGN KEY ("model_id", "version") REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_policies" ADD CONSTRAINT "approval_policies_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

