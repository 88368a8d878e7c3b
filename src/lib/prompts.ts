/**
 * MLflow 3 keeps prompts in the model registry: a prompt is a registered model, and each of its
 * versions a model version, tagged with this key ('true'). The template is in a version tag, and
 * the version's source is a placeholder the client makes up ('dummy-source').
 */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';

/** A create request is a prompt's when it carries the tag at all, as MLflow's server decides. */
export const isPromptRequest = (tags: ReadonlyArray<{ key: string }>): boolean => tags.some((t) => t.key === IS_PROMPT_TAG);
