// The executor config's keys, canonical (snake_case) spelling: Hourglass's own keys (ponos executorConfig, read in
// camelCase and turned into their snake_case twins by config-dialect.ts) and the troubleshooting guide's. Every key
// is optional here; what is required, and the rules a schema cannot say (deployment modes, quantities, durations,
// keys that say the same thing twice), are in executor-config-rules.ts. Objects are open: a key this executor does
// not know is a warning with a suggestion, so that a config written for Hourglass is not refused for keys we do not use.
import { Type } from "@sinclair/typebox";
import { mapOf, stringEnum } from "./performer-schema.ts";
import { PATTERN_DESCRIPTION } from "./schema-validation.ts";

export const DEPLOYMENT_MODES = ["docker", "kubernetes"] as const;
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export const LOG_FORMATS = ["json", "text"] as const;
export const STORAGE_TYPES = ["memory", "badger"] as const;

const optional = Type.Optional;
const text = (description: string) => Type.String({ description });
const flag = (description: string) => Type.Boolean({ description });
const address = (description: string) =>
  Type.String({
    description,
    pattern: "^0x[0-9a-fA-F]{40}$",
    [PATTERN_DESCRIPTION]: "0x followed by 40 hex digits",
  });
const port = (description: string) => Type.Integer({ description, minimum: 1, maximum: 65535 });
const count = (description: string, minimum = 0) => Type.Integer({ description, minimum });
const chainId = (description: string) => Type.Integer({ description, minimum: 1 });
// Untyped here so that `30` (a number) gets the duration message of the rules, not "must be a string".
const duration = (description: string) =>
  Type.Unsafe<string>({ description: `${description} (a Go duration: 30s, 5m, 1h30m)` });
const deploymentMode = (description: string) => stringEnum(DEPLOYMENT_MODES, { description });

// YAML gives `cpu: 2` and `cpu: 0.5` as numbers; both are quantities once written out.
const resourceList = (description: string) =>
  mapOf(Type.Union([Type.String(), Type.Number()]), { description: `${description}, by resource name` });

export const ResourcesSchema = Type.Object(
  {
    requests: optional(resourceList("What the scheduler reserves for a performer")),
    limits: optional(resourceList("The most a performer may use")),
  },
  { description: "Default compute resources of performers" },
);

const RemoteSignerSchema = Type.Object({
  url: optional(text("Web3Signer URL")),
  ca_cert: optional(text("CA certificate (PEM)")),
  cert: optional(text("Client certificate (PEM)")),
  key: optional(text("Client key (PEM)")),
  from_address: optional(text("The signer's address")),
  public_key: optional(text("The signer's public key")),
});

/** An ECDSA key: given inline, in a file, as a Web3 Secret Storage keystore (inline or in a file), or remote. */
export const EcdsaKeySchema = Type.Object({
  private_key: optional(text("The key: 64 hex digits, optionally 0x-prefixed")),
  private_key_file: optional(text("A file holding the key in hex")),
  keystore: optional(text("A Web3 Secret Storage keystore (JSON)")),
  keystore_file: optional(text("A file holding such a keystore")),
  password: optional(text("The keystore's password")),
  remote_signer: optional(flag("Sign with a Web3Signer instead")),
  remote_signer_config: optional(RemoteSignerSchema),
});

/** A BN254 key, as an EIP-2335 keystore (inline or in a file). */
export const BlsKeySchema = Type.Object({
  keystore: optional(text("The keystore (JSON)")),
  keystore_file: optional(text("A file holding the keystore")),
  password: optional(text("The keystore's password")),
});

const OperatorSchema = Type.Object({
  address: optional(address("The operator's address")),
  operator_private_key: optional(EcdsaKeySchema),
  signing_keys: optional(Type.Object({ ecdsa: optional(EcdsaKeySchema), bls: optional(BlsKeySchema) })),
  ecdsa_key_file: optional(Type.String({ description: "File holding the operator's hex key", minLength: 1 })),
});

const EnvSchema = Type.Object({
  name: optional(text("Variable name")),
  value: optional(text("Its value")),
  value_from_env: optional(text("Forward this variable of the executor's environment")),
  kubernetes_env: optional(
    Type.Object({
      value_from: optional(
        Type.Object({
          secret_key_ref: optional(
            Type.Object({ name: optional(text("Secret")), key: optional(text("Key")) }),
          ),
          config_map_key_ref: optional(
            Type.Object({ name: optional(text("ConfigMap")), key: optional(text("Key")) }),
          ),
        }),
      ),
    }),
  ),
});

/** One AVS: Hourglass's avsPerformers[] entry and the guide's avs_config.supported_avs[] entry, one schema. */
export const AvsSchema = Type.Object({
  address: optional(address("The AVS's contract address")),
  avs_address: optional(address("The AVS's contract address")),
  name: optional(text("A name for logs and for the Performer resource")),
  image: optional(
    Type.Object({ repository: optional(text("Image repository")), tag: optional(text("Tag")) }),
  ),
  performer_image: optional(text("Container image of the AVS's performer")),
  performer_version: optional(text("Its tag")),
  process_type: optional(text("How the performer runs (server)")),
  envs: optional(Type.Array(EnvSchema, { description: "The performer's environment" })),
  deployment_mode: optional(deploymentMode("How this AVS's performer runs; all AVSs must agree")),
  kubernetes: optional(
    Type.Object({
      service_account_name: optional(text("Service account of the performer's Pod")),
      endpoint_override: optional(text("host:port to reach the performer at instead")),
    }),
  ),
  default_resources: optional(ResourcesSchema),
  endpoint: optional(text("docker mode: host:port where the performer serves gRPC")),
});

export const ChainSchema = Type.Object({
  name: optional(text("Chain name, e.g. ethereum")),
  chain_id: optional(chainId("EIP-155 chain id")),
  rpc_url: optional(text("HTTP(S) JSON-RPC endpoint")),
  ws_url: optional(text("WebSocket JSON-RPC endpoint")),
  task_mailbox_address: optional(address("The TaskMailbox contract on this chain")),
  block_confirmations: optional(count("Blocks to wait before acting")),
  gas_limit: optional(count("Gas limit of submitted transactions")),
  event_filter: optional(Type.Unknown({ description: "Which TaskMailbox events to follow" })),
});

export const ExecutorConfigSchema = Type.Object({
  debug: optional(flag("Debug logging")),
  aggregator_endpoint: optional(text("host:port of the aggregator")),
  aggregator_tls_enabled: optional(flag("Use TLS towards the aggregator")),
  deployment_mode: optional(deploymentMode("How performers run: kubernetes (Performer resources) or docker")),
  log_level: optional(stringEnum(LOG_LEVELS, { description: "Log level" })),
  log_format: optional(stringEnum(LOG_FORMATS, { description: "Log format" })),
  grpc_port: optional(port("ExecutorService port")),
  management_server_grpc_port: optional(port("ExecutorManagementService port (default: the gRPC port)")),
  health_port: optional(port("/health and /ready port (default 8090)")),
  metrics_port: optional(port("/metrics port (default 8080)")),
  performer_network_name: optional(text("docker mode: the performers' network")),
  operator: optional(OperatorSchema),
  performer_config: optional(
    Type.Object({
      service_pattern: optional(text("Address of a performer, from {name}, {namespace} and {port}")),
      default_port: optional(port("Performers' gRPC port (default 9090)")),
      connection_timeout: optional(duration("Deadline of a call to a performer")),
      startup_timeout: optional(duration("How long a new performer may take to become Ready")),
      retry_attempts: optional(count("Retries of a failed task")),
      max_performers: optional(count("Performers this executor may run", 1)),
    }),
  ),
  kubernetes: optional(
    Type.Object({
      namespace: optional(text("Namespace of the executor's Performers")),
      operator_namespace: optional(text("Namespace of hourglass-operator")),
      crd_group: optional(text("Group of the Performer resource")),
      performer_crd_group: optional(text("Group of the Performer resource")),
      crd_version: optional(text("Version of the Performer resource")),
      performer_crd_version: optional(text("Version of the Performer resource")),
      performer_crd_kind: optional(text("Kind of the Performer resource")),
      service_account: optional(text("Service account of the performers' Pods")),
      cleanup_on_shutdown: optional(flag("Delete the Performers on shutdown")),
      cleanup_timeout: optional(duration("How long shutdown may take to delete them")),
      connection_timeout: optional(duration("Deadline of a call to the Kubernetes API")),
      in_cluster: optional(flag("Use the Pod's service account")),
      kube_config_path: optional(text("Kubeconfig file, outside a cluster")),
      kubeconfig: optional(text("Kubeconfig file, outside a cluster")),
    }),
  ),
  default_resources: optional(ResourcesSchema),
  avs_performers: optional(Type.Array(AvsSchema, { description: "The AVSs this executor serves" })),
  avs_config: optional(
    Type.Object({
      supported_avs: optional(Type.Array(AvsSchema, { description: "The AVSs this executor serves" })),
    }),
  ),
  l1_chain: optional(
    Type.Object({
      rpc_url: optional(text("L1 JSON-RPC endpoint")),
      chain_id: optional(chainId("L1 chain id")),
    }),
  ),
  chains: optional(Type.Array(ChainSchema, { description: "Chains the executor follows" })),
  contracts: optional(
    Type.Unknown({ description: "Core contract addresses (JSON), instead of the built-in ones" }),
  ),
  override_contracts: optional(
    Type.Object({
      task_mailbox: optional(
        Type.Object({
          contract: optional(text("The TaskMailbox contract (JSON)")),
          chain_ids: optional(Type.Array(chainId("Chain id"), { description: "Chains it applies to" })),
        }),
      ),
    }),
  ),
  storage: optional(
    Type.Object({
      type: optional(stringEnum(STORAGE_TYPES, { description: "Task store: memory or badger" })),
      badger: optional(
        Type.Object({
          dir: optional(text("Directory of the store")),
          in_memory: optional(flag("Keep it in memory only")),
          value_log_file_size: optional(count("Largest value log file, bytes")),
          num_versions_to_keep: optional(count("Versions kept per key")),
          num_level_zero_tables: optional(count("Level-0 tables before stalling")),
          num_level_zero_tables_stall: optional(count("Level-0 tables that stall writes")),
        }),
      ),
    }),
  ),
  authentication: optional(
    Type.Object({ enabled: optional(flag("Check AuthSignature on management calls")) }),
  ),
});
