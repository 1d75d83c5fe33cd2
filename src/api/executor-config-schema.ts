// The executor config's keys, canonical (snake_case) spelling: Hourglass's own keys (ponos executorConfig, read in
// camelCase and turned into their snake_case twins by config-dialect.ts) and the troubleshooting guide's. Every key
// is optional here; what is required, and the rules a schema cannot say (deployment modes, quantities, durations,
// keys that say the same thing twice), are in executor-config-rules.ts. Objects are open: a key this executor does
// not know is a warning with a suggestion, so that a config written for Hourglass is not refused for keys we do not use.
import { type ObjectOptions, type TProperties, Type } from "@sinclair/typebox";
import { mapOf, stringEnum } from "./performer-schema.ts";
import { PATTERN_DESCRIPTION } from "./schema-validation.ts";

/** The deployment_mode values the executor accepts. */
export const DEPLOYMENT_MODES = ["docker", "kubernetes"] as const;
/** The log_level values the executor accepts. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
/** The log_format values the executor accepts. */
export const LOG_FORMATS = ["json", "text"] as const;
/** The storage.type values the executor accepts: in memory, or Hourglass's badger (an SQLite file here). */
export const STORAGE_TYPES = ["memory", "badger"] as const;

// Every key is optional: one Partial per object says so instead of an Optional per key.
const keys = <T extends TProperties>(properties: T, options?: ObjectOptions) =>
  Type.Partial(Type.Object(properties, options));
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

/** default_resources: the requests and limits performers get when their spec gives none. */
export const ResourcesSchema = keys(
  {
    requests: resourceList("What the scheduler reserves for a performer"),
    limits: resourceList("The most a performer may use"),
  },
  { description: "Default compute resources of performers" },
);

const RemoteSignerSchema = keys({
  url: text("Web3Signer URL"),
  ca_cert: text("CA certificate (PEM)"),
  cert: text("Client certificate (PEM)"),
  key: text("Client key (PEM)"),
  from_address: text("The signer's address"),
  public_key: text("The signer's public key"),
});

/** An ECDSA key: given inline, in a file, as a Web3 Secret Storage keystore (inline or in a file), or remote. */
export const EcdsaKeySchema = keys({
  private_key: text("The key: 64 hex digits, optionally 0x-prefixed"),
  private_key_file: text("A file holding the key in hex"),
  keystore: text("A Web3 Secret Storage keystore (JSON)"),
  keystore_file: text("A file holding such a keystore"),
  password: text("The keystore's password"),
  remote_signer: flag("Sign with a Web3Signer instead"),
  remote_signer_config: RemoteSignerSchema,
});

/** A BN254 key, as an EIP-2335 keystore (inline or in a file). */
export const BlsKeySchema = keys({
  keystore: text("The keystore (JSON)"),
  keystore_file: text("A file holding the keystore"),
  password: text("The keystore's password"),
});

const OperatorSchema = keys({
  address: address("The operator's address"),
  operator_private_key: EcdsaKeySchema,
  signing_keys: keys({ ecdsa: EcdsaKeySchema, bls: BlsKeySchema }),
  ecdsa_key_file: Type.String({ description: "File holding the operator's hex key", minLength: 1 }),
});

const EnvSchema = keys({
  name: text("Variable name"),
  value: text("Its value"),
  value_from_env: text("Forward this variable of the executor's environment"),
  kubernetes_env: keys({
    value_from: keys({
      secret_key_ref: keys({ name: text("Secret"), key: text("Key") }),
      config_map_key_ref: keys({ name: text("ConfigMap"), key: text("Key") }),
    }),
  }),
});

/** One AVS: Hourglass's avsPerformers[] entry and the guide's avs_config.supported_avs[] entry, one schema. */
export const AvsSchema = keys({
  address: address("The AVS's contract address"),
  avs_address: address("The AVS's contract address"),
  name: text("A name for logs and for the Performer resource"),
  image: keys({ repository: text("Image repository"), tag: text("Tag") }),
  performer_image: text("Container image of the AVS's performer"),
  performer_version: text("Its tag"),
  process_type: text("How the performer runs (server)"),
  envs: Type.Array(EnvSchema, { description: "The performer's environment" }),
  deployment_mode: deploymentMode("How this AVS's performer runs; all AVSs must agree"),
  kubernetes: keys({
    service_account_name: text("Service account of the performer's Pod"),
    endpoint_override: text("host:port to reach the performer at instead"),
  }),
  default_resources: ResourcesSchema,
  endpoint: text("docker mode: host:port where the performer serves gRPC"),
});

/** One entry of the config's chains. */
export const ChainSchema = keys({
  name: text("Chain name, e.g. ethereum"),
  chain_id: chainId("EIP-155 chain id"),
  rpc_url: text("HTTP(S) JSON-RPC endpoint"),
  ws_url: text("WebSocket JSON-RPC endpoint"),
  task_mailbox_address: address("The TaskMailbox contract on this chain"),
  block_confirmations: count("Blocks to wait before acting"),
  gas_limit: count("Gas limit of submitted transactions"),
  event_filter: Type.Unknown({ description: "Which TaskMailbox events to follow" }),
});

/** The whole executor config's keys in snake_case, for both dialects; every key optional, objects open. */
export const ExecutorConfigSchema = keys({
  debug: flag("Debug logging"),
  aggregator_endpoint: text("host:port of the aggregator"),
  aggregator_tls_enabled: flag("Use TLS towards the aggregator"),
  deployment_mode: deploymentMode("How performers run: kubernetes (Performer resources) or docker"),
  log_level: stringEnum(LOG_LEVELS, { description: "Log level" }),
  log_format: stringEnum(LOG_FORMATS, { description: "Log format" }),
  grpc_port: port("ExecutorService port"),
  management_server_grpc_port: port("ExecutorManagementService port (default: the gRPC port)"),
  health_port: port("/health and /ready port (default 8090)"),
  metrics_port: port("/metrics port (default 8080)"),
  performer_network_name: text("docker mode: the performers' network"),
  operator: OperatorSchema,
  performer_config: keys({
    service_pattern: text("Address of a performer, from {name}, {namespace} and {port}"),
    default_port: port("Performers' gRPC port (default 9090)"),
    connection_timeout: duration("Deadline of a call to a performer"),
    startup_timeout: duration("How long a new performer may take to become Ready"),
    retry_attempts: count("Retries of a failed task"),
    max_performers: count("Performers this executor may run", 1),
  }),
  kubernetes: keys({
    namespace: text("Namespace of the executor's Performers"),
    operator_namespace: text("Namespace of hourglass-operator"),
    crd_group: text("Group of the Performer resource"),
    performer_crd_group: text("Group of the Performer resource"),
    crd_version: text("Version of the Performer resource"),
    performer_crd_version: text("Version of the Performer resource"),
    performer_crd_kind: text("Kind of the Performer resource"),
    service_account: text("Service account of the performers' Pods"),
    cleanup_on_shutdown: flag("Delete the Performers on shutdown"),
    cleanup_timeout: duration("How long shutdown may take to delete them"),
    connection_timeout: duration("Deadline of a call to the Kubernetes API"),
    in_cluster: flag("Use the Pod's service account"),
    kube_config_path: text("Kubeconfig file, outside a cluster"),
    kubeconfig: text("Kubeconfig file, outside a cluster"),
  }),
  default_resources: ResourcesSchema,
  avs_performers: Type.Array(AvsSchema, { description: "The AVSs this executor serves" }),
  avs_config: keys({
    supported_avs: Type.Array(AvsSchema, { description: "The AVSs this executor serves" }),
  }),
  l1_chain: keys({
    rpc_url: text("L1 JSON-RPC endpoint"),
    chain_id: chainId("L1 chain id"),
  }),
  chains: Type.Array(ChainSchema, { description: "Chains the executor follows" }),
  contracts: Type.Unknown({ description: "Core contract addresses (JSON), instead of the built-in ones" }),
  override_contracts: keys({
    task_mailbox: keys({
      contract: text("The TaskMailbox contract (JSON)"),
      chain_ids: Type.Array(chainId("Chain id"), { description: "Chains it applies to" }),
    }),
  }),
  storage: keys({
    type: stringEnum(STORAGE_TYPES, { description: "Task store: memory or badger" }),
    badger: keys({
      dir: text("Directory of the store"),
      in_memory: flag("Keep it in memory only"),
      value_log_file_size: count("Largest value log file, bytes"),
      num_versions_to_keep: count("Versions kept per key"),
      num_level_zero_tables: count("Level-0 tables before stalling"),
      num_level_zero_tables_stall: count("Level-0 tables that stall writes"),
    }),
  }),
  authentication: keys({ enabled: flag("Check AuthSignature on management calls") }),
});
