/** Wire shapes of the MLflow REST API that the UI reads (docs: MLflow REST API). */
export interface ApiKeyValue {
  key: string;
  value: string;
}

export interface ApiMetric {
  key: string;
  value: number;
  timestamp: number | string;
  step: number | string;
  run_id?: string;
}

export interface ApiExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number | string;
  last_update_time?: number | string;
  tags?: ApiKeyValue[];
}

export interface ApiRun {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    user_id?: string;
    status: string;
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri?: string;
    lifecycle_stage: string;
  };
  data: { params?: ApiKeyValue[]; metrics?: ApiMetric[]; tags?: ApiKeyValue[] };
}

export interface ApiRegisteredModel {
  name: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  description?: string;
  latest_versions?: ApiModelVersion[];
  tags?: ApiKeyValue[];
  aliases?: { alias: string; version: string }[];
}

export interface ApiModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  user_id?: string;
  aliases?: string[];
}

/** MLflow quotes keys with backticks in filters and order_by when they are not plain identifiers. */
export const quoteKey = (key: string): string => `\`${key.replace(/`/g, '')}\``;
