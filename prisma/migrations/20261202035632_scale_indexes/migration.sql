-- Two plans that grew with size in `npm run bench -- --scale` (docs/performance.md, "How cost grows").
--
-- get-history reads a run's metric ordered by (timestamp, step, value), MLflow's order, but the
-- primary key holds (run_id, key, step, timestamp, ...) for the down-sampled reads by step, so every
-- page sorted the metric's whole history: the first page of 1,000 of a 200,000-point metric took
-- 144 ms, of which the sort was all but 1 ms. This index gives that order directly (0.3 ms).
-- CreateIndex
CREATE INDEX "metrics_run_id_key_timestamp_step_value_is_nan_idx" ON "metrics"("run_id", "key", "timestamp", "step", "value", "is_nan");

-- search-runs ordered by a metric sorts by `value DESC NULLS LAST` for order_by `metrics.x DESC`
-- (runs without the metric last). A backward scan of latest_metrics_key_value_idx gives DESC NULLS
-- FIRST, which the planner cannot use for it, so a filtered, descending search sorted every match:
-- 189 ms for the first page of 100 at 200,000 runs, 2.3 ms with this index. It includes run_id and
-- is_nan so that the scan needs no heap page per run: the page after 10,000 results at 1,000,000 runs
-- reads 10,000 entries, 145 ms with heap fetches against 47 ms without (warm, in PostgreSQL).
-- schema.prisma cannot describe NULLS LAST (test/integration/migrations.test.ts lists the index as a
-- known extra).
CREATE INDEX "latest_metrics_key_value_desc_idx" ON "latest_metrics"("key", "value" DESC NULLS LAST) INCLUDE ("run_id", "is_nan");
