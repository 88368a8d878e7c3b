-- CreateIndex
CREATE INDEX "runs_experiment_id_lifecycle_stage_name_idx" ON "runs"("experiment_id", "lifecycle_stage", "name");

