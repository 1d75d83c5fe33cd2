// The TypeScript shape of the Hourglass messages as proto-loader decodes them (see protos.ts for the options):
// field names as in the .proto (keepCase), bytes as Buffer, enums as their names, int64 as decimal strings, every
// field present (messages: null when absent).

// --- eigenlayer.hourglass.v1.performer (protocol-apis v1.17.0) ---
/** PerformerService.ExecuteTask's request: one task as the executor hands it to the AVS's performer. */
export interface TaskRequest {
  task_id: Buffer;
  payload: Buffer;
}

/** The performer's answer to a task: its result, under the task's id. */
export interface TaskResponse {
  task_id: Buffer;
  result: Buffer;
}

/** performer.proto's PerformerStatus enum, by name. */
export type PerformerStatus = "READY_FOR_SYNC" | "READY_FOR_TASK";

/** PerformerService.StartSync's request: what the performer is to synchronise before serving tasks. */
export interface StartSyncRequest {
  payload: Buffer;
}
/** PerformerService.StartSync's answer, which carries nothing. */
export type StartSyncResponse = Record<string, never>;

// --- eigenlayer.hourglass.v1.common ---
/** The operator's signature over a challenge token, which authenticates a management call. */
export interface AuthSignature {
  challenge_token: string;
  signature: Buffer;
}

// --- eigenlayer.hourglass.v1 ---
/** ExecutorService.SubmitTask's request: a task from the aggregator, with what the executor checks it
 * against. */
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

/** SubmitTask's answer: the performer's output signed by the operator, as the aggregator verifies it. */
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

/** DeployArtifact's Kubernetes part: the Performer's service account. */
export interface KubernetesConfig {
  service_account_name: string;
}

/** A key of a Secret a Performer's environment variable takes its value from. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/** A key of a ConfigMap a Performer's environment variable takes its value from. */
export type ConfigMapKeyRef = SecretKeyRef;

/** One environment variable DeployArtifact gives the Performer: a value or a Secret/ConfigMap reference. */
export interface PerformerEnv {
  name: string;
  value: string;
  value_from_env: string;
  kubernetes_env: {
    value_from: { secret_key_ref: SecretKeyRef | null; config_map_key_ref: ConfigMapKeyRef | null } | null;
  } | null;
}

/** DeployArtifact's request: the image (registry and digest) an AVS's performer is to run next, blue-green. */
export interface DeployArtifactRequest {
  avs_address: string;
  digest: string;
  registry_url: string;
  env: PerformerEnv[];
  kubernetes: KubernetesConfig | null;
  auth: AuthSignature | null;
}

/** DeployArtifact's answer, with the id of the performer deployed. */
export interface DeployArtifactResponse {
  success: boolean;
  message: string;
  deployment_id: string;
}

/** ListPerformers' request, optionally for one AVS. */
export interface ListPerformersRequest {
  avs_address: string;
  auth: AuthSignature | null;
}

/** One performer as ListPerformers reports it: what it runs and whether it is healthy. */
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

/** ListPerformers' answer. */
export interface ListPerformersResponse {
  performers: PerformerInfo[];
}

/** RemovePerformer's request: the performer to stop routing to (and in kubernetes mode delete). */
export interface RemovePerformerRequest {
  performer_id: string;
  auth: AuthSignature | null;
}

/** RemovePerformer's answer. */
export interface RemovePerformerResponse {
  success: boolean;
  message: string;
}

/** GetChallengeToken's request, which only the executor's own operator may make. */
export interface GetChallengeTokenRequest {
  operator_address: string;
}

/** GetChallengeToken's answer: a one-use token to sign a management call over, and its expiry. */
export interface GetChallengeTokenResponse {
  challenge_token: string;
  /** int64 Unix seconds, as a decimal string when decoded (a number is accepted when encoding). */
  expires_at: string | number;
}
