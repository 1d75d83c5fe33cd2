// The TypeScript shape of the Hourglass messages as proto-loader decodes them (see protos.ts for the options):
// field names as in the .proto (keepCase), bytes as Buffer, enums as their names, every field present.

// --- eigenlayer.hourglass.v1.performer ---
export interface TaskRequest {
  task_id: string;
  payload: Buffer;
}

export interface TaskResponse {
  task_id: string;
  result: Buffer;
}

export type PerformerStatus = "READY_FOR_TASK" | "BUSY" | "ERROR" | "STARTING" | "STOPPING";

export type HealthCheckRequest = Record<string, never>;

export interface HealthCheckResponse {
  status: PerformerStatus;
}

export type StartSyncRequest = Record<string, never>;
export type StartSyncResponse = Record<string, never>;

// --- eigenlayer.hourglass.v1 ---
export interface TaskSubmission {
  task_id: string;
  aggregator_address: string;
  avs_address: string;
  payload: Buffer;
  signature: Buffer;
}

export interface TaskResult {
  task_id: string;
  operator_address: string;
  output: Buffer;
  signature: Buffer;
  avs_address: string;
}

export interface DeployArtifactRequest {
  avs_address: string;
  digest: string;
  registry_url: string;
}

export interface DeployArtifactResponse {
  success: boolean;
  message: string;
  deployment_id: string;
}

export interface ListPerformersRequest {
  avs_address: string;
}

export interface PerformerInfo {
  performer_id: string;
  avs_address: string;
  status: string;
  artifact_registry: string;
  artifact_digest: string;
  resource_healthy: boolean;
  application_healthy: boolean;
  last_health_check: string;
  container_id: string;
}

export interface ListPerformersResponse {
  performers: PerformerInfo[];
}

export interface RemovePerformerRequest {
  performer_id: string;
}

export interface RemovePerformerResponse {
  success: boolean;
  message: string;
}
