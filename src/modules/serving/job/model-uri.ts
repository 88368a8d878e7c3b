/** A `models:/` URI as the serving job takes it: the model's name and the selector of the registry's archive route. */
export interface ModelRef {
  name: string;
  /** `Production` (any stage), `@champion`, `3` or `latest`: the `<selector>` of `/registry/models/<name>/<selector>/archive.tar.gz`. */
  selector: string;
}

/**
 * `models:/<name>/<stage|version|latest>` or `models:/<name>@<alias>` (MLflow's forms; the 3.x
 * `models:/m-<id>` of a logged model names no registered model and is refused), or undefined.
 */
export function parseModelUri(uri: string): ModelRef | undefined {
  const alias = /^models:\/([^@]+)@([^@/]+)$/.exec(uri);
  if (alias) return { name: alias[1]!, selector: `@${alias[2]!}` };
  const named = /^models:\/(.+)\/([^/]+)$/.exec(uri);
  if (named && named[1] !== '') return { name: named[1]!, selector: named[2]! };
  return undefined;
}
