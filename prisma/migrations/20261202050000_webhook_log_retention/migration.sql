-- The delivery log's retention (WEBHOOK_LOG_RETENTION, pruned by garbage collection) finds finished
-- deliveries by creation time without reading the whole log.
-- CreateIndex
CREATE INDEX "webhook_deliveries_created_at_idx" ON "webhook_deliveries"("created_at");
