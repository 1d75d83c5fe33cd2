// What the running executor needs, resolved from the config file, the environment and the command line: every
// duration in milliseconds, every default applied, so that the parts below never re-read the config.
import type { AvsEnv, ExecutorConfig, OperatorConfig, ResourceRequirements } from "../api/executor-config.ts";

/** Where the executor runs performers: as Docker containers or as Performers in a cluster. */
export type DeploymentMode = "docker" | "kubernetes";

/** One supported AVS and how its performer is run. */
export interface AvsSettings {
  address: string;
  name?: string;
  performerImage?: string;
  performerVersion?: string;
  /** docker mode: `host:port` of a performer run outside the executor; without it the executor runs the
   * container of performerImage:performerVersion itself. */
  endpoint?: string;
  /** The AVS's default_resources, else the config's top-level ones. */
  resources?: ResourceRequirements;
  /** Hourglass's avsPerformers[].envs: the performer's environment. */
  envs?: AvsEnv[];
  /** Hourglass's avsPerformers[].kubernetes.serviceAccountName. */
  serviceAccountName?: string;
}

/** kubernetes mode: where the executor's Performers live, what they are, and how the cluster is reached. */
export interface KubernetesSettings {
  namespace: string;
  crdGroup: string;
  crdVersion: string;
  /** The resource's plural, derived from performer_crd_kind. */
  crdPlural: string;
  serviceAccount?: string;
  cleanupOnShutdown: boolean;
  cleanupTimeoutMs: number;
  /** Deadline of each call to the Kubernetes API. */
  connectionTimeoutMs: number;
  /** When unset: the Pod's service account in a cluster, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
}

/** Everything the running executor needs, resolved once: durations in ms and defaults applied. */
export interface ExecutorSettings {
  deploymentMode: DeploymentMode;
  /** The operator's address and key references (loadOperatorSigner reads the ECDSA one; BLS is given as is). */
  operator: OperatorConfig;
  /** The L1 chain's JSON-RPC endpoint and id, and contract addresses replacing the built-in ones. */
  chain: Pick<ExecutorConfig, "l1Chain" | "contracts" | "overrideContracts">;
  /** The task store; absent when the config names none. */
  storage?: ExecutorConfig["storage"];
  /** Address every server binds; tests use 127.0.0.1. */
  host: string;
  /** 0 picks a free port. `management`: ExecutorManagementService's own port; unset (or the gRPC port) serves it
   * on the gRPC server, as Hourglass does. */
  ports: { grpc: number; management?: number; health: number; metrics: number; profiling: number };
  /** Whether management calls must carry an AuthSignature (Hourglass's `authentication.enabled`). */
  authentication: { enabled: boolean };
  profiling: boolean;
  /** Threads that check and sign tasks beside the event loop (--signing-threads; 0: on it). */
  signingThreads: number;
  performer: {
    servicePattern: string;
    defaultPort: number;
    /** Deadline of one task, retries included (NETWORK_TIMEOUT overrides connection_timeout). */
    taskTimeoutMs: number;
    startupTimeoutMs: number;
    retryAttempts: number;
    maxPerformers: number;
    /** Tasks one performer is given at once; more wait in its queue. */
    maxInFlight: number;
    /** Tasks that may wait for one performer's slot; beyond it the executor answers RESOURCE_EXHAUSTED. */
    maxQueued: number;
  };
  kubernetes?: KubernetesSettings;
  /** docker mode: the engine network of the executor's performer containers (Hourglass's performerNetworkName). */
  performerNetworkName?: string;
  avs: AvsSettings[];
}
