-- CreateTable
CREATE TABLE "logged_model_metrics" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "is_nan" BOOLEAN NOT NULL DEFAULT false,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL,
    "run_id" TEXT NOT NULL,
    "experiment_id" BIGINT NOT NULL,
    "dataset_name" TEXT,
    "dataset_digest" TEXT,

    CONSTRAINT "logged_model_metrics_pkey" PRIMARY KEY ("model_id","key","timestamp","step","run_id")
);

-- AddForeignKey
ALTER TABLE "logged_model_metrics" ADD CONSTRAINT "logged_model_metrics_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

