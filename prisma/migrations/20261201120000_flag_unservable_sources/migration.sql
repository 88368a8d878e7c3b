-- Versions registered before proxied sources were checked may point at the store root, a bare
-- experiment prefix or an unknown prefix (src/storage/artifact-layout.ts has the layout). Serving
-- refuses them (serving.service.ts); this marks them so that clients and operators see why.
UPDATE model_versions v
SET status = 'FAILED_REGISTRATION',
    status_message = 'Not served: the source does not point inside one run''s artifacts, one logged model''s artifacts or one upload of this model. Register a new version from runs:/<run_id>/<path>.'
FROM (
  SELECT model_id, version, regexp_replace(COALESCE(storage_location, source), '^mlflow-artifacts:(//[^/]*)?/*', '') AS key
  FROM model_versions
  WHERE COALESCE(storage_location, source) LIKE 'mlflow-artifacts:%'
) k
WHERE v.model_id = k.model_id AND v.version = k.version
  AND k.key !~ '^(0|[1-9][0-9]{0,17})/[0-9a-f]{32}/artifacts(/|$)'
  AND k.key !~ '^(0|[1-9][0-9]{0,17})/models/m-[0-9a-f]{32}/artifacts(/|$)'
  AND k.key !~ '^registry/[1-9][0-9]{0,17}/uploads/[^/]+(/|$)';
