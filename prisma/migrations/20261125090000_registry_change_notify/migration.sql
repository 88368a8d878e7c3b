-- Every change to what a registered model's answer holds (the model, its tags and aliases, its
-- versions and their tags) is announced on the registry_changed channel when it commits, from any
-- replica or any other client. Replicas drop their registered-model cache when they hear it.
-- Statement-level, and PostgreSQL folds identical notifications of one transaction into one.
CREATE FUNCTION registry_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('registry_changed', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER registered_models_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registered_models
  FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change();
CREATE TRIGGER registered_model_tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registered_model_tags
  FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change();
CREATE TRIGGER registered_model_aliases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registered_model_aliases
  FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change();
CREATE TRIGGER model_versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_versions
  FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change();
CREATE TRIGGER model_version_tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_version_tags
  FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change();
