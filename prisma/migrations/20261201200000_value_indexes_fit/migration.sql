-- Tag and param values may be as long as MLflow allows (params 6,000 characters, run tags 8,000,
-- experiment and registry tags 5,000: src/http/limits.ts), but a btree entry holds at most 2,704
-- bytes, so a (key, value) index refused any longer value with a 500. Each of those indexes now
-- holds the key and the first 200 characters of the value: a key is at most 250 UTF-16 units (at
-- most 750 bytes of UTF-8) and 200 characters at most 800 bytes, whatever the text.
-- The search translator (src/search/sql.ts, INDEXED_VALUE_CHARS) adds
-- `left(value, 200) = left($v, 200)` beside each exact `value = $v`, so the planner can use them.
-- schema.prisma cannot express these expression indexes; it says so where they were.
DROP INDEX "experiment_tags_key_value_idx";
CREATE INDEX "experiment_tags_key_value_prefix_idx" ON "experiment_tags" ("key", left("value", 200));

DROP INDEX "params_key_value_idx";
CREATE INDEX "params_key_value_prefix_idx" ON "params" ("key", left("value", 200));

DROP INDEX "run_tags_key_value_idx";
CREATE INDEX "run_tags_key_value_prefix_idx" ON "run_tags" ("key", left("value", 200));

DROP INDEX "registered_model_tags_key_value_idx";
CREATE INDEX "registered_model_tags_key_value_prefix_idx" ON "registered_model_tags" ("key", left("value", 200));

DROP INDEX "model_version_tags_key_value_idx";
CREATE INDEX "model_version_tags_key_value_prefix_idx" ON "model_version_tags" ("key", left("value", 200));
