// The TypeScript shape of the Hourglass messages as proto-loader decodes them (see protos.ts for the options):
// field names as in the .proto (keepCase), bytes as Buffer, enums as their names, int64 as decimal strings, every
// field present (messages: null when absent).

// --- eigenlayer.hourglass.v1.performer (protocol-apis v1.17.0) ---
export interface TaskRequest {
  task_id: Buffer;
  payload: Buffer;
}

export interface TaskResponse {
  task_id: Buffer;
  result: Buffer;
}

export type PerformerStatus = "READY_FOR_SYNC" | "READY_FOR_TASK";

export interface StartSyncRequest {
  payload: Buffer;
}
export type StartSyncResponse = Record<string, never>;

// --- eigenlayer.hourglass.v1.common ---
export interface AuthSignature {
  challenge_token: string;
  signature: Buffer;
}

// --- eigenlayer.hourglass.v1 ---
export interface TaskSubmission {
  task_id: string;
  aggregator_address: string;
  avs_address: string;
  payload: Buffer;
  signature: Buffer;
  operator_set_id: number;
  reference_timestamp: number;
  executor_address: string;
  /** uint64, as a decimal string. */
  task_block_number: string;
  version: number;
  /**
   * Not a proto field: task_id's bytes exactly as they came on the wire (protos.ts's SubmitTask codec sets it), which
   * need not be UTF-8; task_id shows them decoded as UTF-8. Absent on a submission built in code: task_id's UTF-8.
   * When a client sets it, it is sent as task_id instead.
   */
  taskIdBytes?: Buffer;
}

/** What a client sends: proto3 gives every field left out its default (0, "", empty bytes). */
export type TaskSubmissionInput = Pick<TaskSubmission, "task_id" | "avs_address" | "payload"> &
  Partial<TaskSubmission>;

export interface TaskResult {
  task_id: string;
  operator_address: string;
  output: Buffer;
  result_signature: Buffer;
  avs_address: string;
  operator_set_id: number;
  auth_signature: Buffer;
  version: number;
  /** Not a proto field: when set, sent as task_id instead of task_id's UTF-8 (see TaskSubmission.taskIdBytes). */
  taskIdBytes?: Buffer;
}

export interface KubernetesConfig {
  service_account_name: string;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export type ConfigMapKeyRef = SecretKeyRef;

export interface PerformerEnv {
  name: string;
  value: string;
  value_from_env: string;
  kubernetes_env: {
    value_from: { secret_key_ref: SecretKeyRef | null; config_map_key_ref: ConfigMapKeyRef | null } | null;
  } | null;
}

export interface DeployArtifactRequest {
  avs_address: string;
  digest: string;
  registry_url: string;
  env: PerformerEnv[];
  kubernetes: KubernetesConfig | null;
  auth: AuthSignature | null;
}

export interface DeployArtifactResponse {
  success: boolean;
  message: string;
  deployment_id: string;
}

export interface ListPerformersRequest {
  avs_address: string;
  auth: AuthSignature | null;
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
  artifact_tag: string;
}

export interface ListPerformersResponse {
  performers: PerformerInfo[];
}

export interface RemovePerformerRequest {
  performer_id: string;
  auth: AuthSignature | null;
}

export interface RemovePerformerResponse {
  success: boolean;
  message: string;
}

export interface GetChallengeTokenRequest {
  operator_address: string;
}

export interface GetChallengeTokenResponse {
  challenge_token: string;
  /** int64 Unix seconds, as a decimal string when decoded (a number is accepted when encoding). */
  expires_at: string | number;
}
