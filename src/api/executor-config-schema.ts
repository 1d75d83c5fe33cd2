// The executor's config file, keys spelt as Hourglass spells them. One definition gives the TypeScript type and the
// validator; rules a schema cannot say (deployment-mode consistency, quantities, durations) are in executor-config.ts.
// Objects are open (no additionalProperties: false): a key this executor does not know is a warning with a
// suggestion, not an error, so that a config written for Hourglass is not refused for keys we do not use.
import { type Static, Type } from "@sinclair/typebox";
import { mapOf, stringEnum } from "./performer-schema.ts";
import { PATTERN_DESCRIPTION } from "./schema-validation.ts";

export const DEPLOYMENT_MODES = ["docker", "kubernetes"] as const;
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export const LOG_FORMATS = ["json", "text"] as const;

const address = (description: string) =>
  Type.String({
    description,
    pattern: "^0x[0-9a-fA-F]{40}$",
    [PATTERN_DESCRIPTION]: "0x followed by 40 hex digits",
  });
const port = (description: string) => Type.Integer({ description, minimum: 1, maximum: 65535 });
// Untyped here so that `30` (a number) gets the duration message from executor-config.ts, not "must be a string".
const duration = (description: string) =>
  Type.Unsafe<string>({ description: `${description} (a Go duration: 30s, 5m, 1h30m)` });
const deploymentMode = (description: string) => stringEnum(DEPLOYMENT_MODES, { description });

// YAML gives `cpu: 2` and `cpu: 0.5` as numbers; both are quantities once written out.
const resourceList = (description: string) =>
  mapOf(Type.Union([Type.String(), Type.Number()]), { description: `${description}, by resource name` });

export const ResourcesSchema = Type.Object(
  {
    requests: Type.Optional(resourceList("What the scheduler reserves for a performer")),
    limits: Type.Optional(resourceList("The most a performer may use")),
  },
  { description: "Default compute resources of performers" },
);

export const SupportedAvsSchema = Type.Object({
  address: address("The AVS's contract address"),
  name: Type.Optional(Type.String({ description: "A name for logs and for the Performer resource" })),
  performer_image: Type.Optional(Type.String({ description: "Container image of the AVS's performer" })),
  performer_version: Type.Optional(Type.String({ description: "Its tag" })),
  deployment_mode: Type.Optional(
    deploymentMode("How this AVS's performer runs; must agree with the top level"),
  ),
  default_resources: Type.Optional(ResourcesSchema),
  endpoint: Type.Optional(
    Type.String({ description: "docker mode: host:port where the performer serves gRPC" }),
  ),
});

export const ChainSchema = Type.Object({
  name: Type.String({ description: "Chain name, e.g. ethereum" }),
  chain_id: Type.Integer({ description: "EIP-155 chain id", minimum: 1 }),
  rpc_url: Type.Optional(Type.String({ description: "HTTP(S) JSON-RPC endpoint" })),
  ws_url: Type.Optional(Type.String({ description: "WebSocket JSON-RPC endpoint" })),
  task_mailbox_address: Type.Optional(address("The TaskMailbox contract on this chain")),
  block_confirmations: Type.Optional(
    Type.Integer({ description: "Blocks to wait before acting", minimum: 0 }),
  ),
  gas_limit: Type.Optional(Type.Integer({ description: "Gas limit of submitted transactions", minimum: 0 })),
  event_filter: Type.Optional(Type.Unknown({ description: "Which TaskMailbox events to follow" })),
});

export const ExecutorConfigSchema = Type.Object({
  aggregator_endpoint: Type.Optional(Type.String({ description: "host:port of the aggregator" })),
  aggregator_tls_enabled: Type.Optional(Type.Boolean({ description: "Use TLS towards the aggregator" })),
  deployment_mode: Type.Optional(
    deploymentMode("How performers run: kubernetes (Performer resources) or docker"),
  ),
  log_level: Type.Optional(stringEnum(LOG_LEVELS, { description: "Log level" })),
  log_format: Type.Optional(stringEnum(LOG_FORMATS, { description: "Log format" })),
  grpc_port: Type.Optional(port("ExecutorService port (default 9000)")),
  health_port: Type.Optional(port("/health and /ready port (default 8090)")),
  metrics_port: Type.Optional(port("/metrics port (default 8080)")),
  operator: Type.Object(
    {
      address: address("The operator's address; results are signed by its key"),
      ecdsa_key_file: Type.String({
        description: "File holding the operator's hex ECDSA private key",
        minLength: 1,
      }),
    },
    { description: "The operator this executor signs for" },
  ),
  performer_config: Type.Optional(
    Type.Object({
      service_pattern: Type.Optional(
        Type.String({ description: "Address of a performer, from {name}, {namespace} and {port}" }),
      ),
      default_port: Type.Optional(port("Performers' gRPC port (default 9090)")),
      connection_timeout: Type.Optional(duration("Deadline of a call to a performer")),
      startup_timeout: Type.Optional(duration("How long a new performer may take to become Ready")),
      retry_attempts: Type.Optional(Type.Integer({ description: "Retries of a failed task", minimum: 0 })),
      max_performers: Type.Optional(
        Type.Integer({ description: "Performers this executor may run", minimum: 1 }),
      ),
    }),
  ),
  kubernetes: Type.Optional(
    Type.Object({
      namespace: Type.String({ description: "Namespace of the executor's Performers", minLength: 1 }),
      operator_namespace: Type.Optional(Type.String({ description: "Namespace of hourglass-operator" })),
      performer_crd_group: Type.Optional(Type.String({ description: "Group of the Performer resource" })),
      performer_crd_version: Type.Optional(Type.String({ description: "Version of the Performer resource" })),
      performer_crd_kind: Type.Optional(Type.String({ description: "Kind of the Performer resource" })),
      service_account: Type.Optional(Type.String({ description: "Service account of the performers' Pods" })),
      cleanup_on_shutdown: Type.Optional(Type.Boolean({ description: "Delete the Performers on shutdown" })),
      cleanup_timeout: Type.Optional(duration("How long shutdown may take to delete them")),
      connection_timeout: Type.Optional(duration("Deadline of a call to the Kubernetes API")),
      in_cluster: Type.Optional(Type.Boolean({ description: "Use the Pod's service account" })),
      kubeconfig: Type.Optional(Type.String({ description: "Kubeconfig file, outside a cluster" })),
    }),
  ),
  default_resources: Type.Optional(ResourcesSchema),
  avs_config: Type.Object({
    supported_avs: Type.Array(SupportedAvsSchema, {
      description: "The AVSs this executor serves",
      minItems: 1,
    }),
  }),
  chains: Type.Optional(Type.Array(ChainSchema, { description: "Chains the executor follows" })),
});

export type ExecutorConfig = Static<typeof ExecutorConfigSchema>;
export type SupportedAvs = Static<typeof SupportedAvsSchema>;
export type ExecutorResources = Static<typeof ResourcesSchema>;
export type ExecutorDeploymentMode = (typeof DEPLOYMENT_MODES)[number];
