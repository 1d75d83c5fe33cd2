// The executor config as the rest of the code reads it, whichever dialect the file was written in: keys that say
// the same thing in the two dialects (avsPerformers[] and avs_config.supported_avs[], crdGroup and
// performer_crd_group, ecdsa_key_file and operatorPrivateKey) are one field here, every default is applied and
// every duration is in milliseconds. Built only from a tree the rules found no error in.
import type { Dialect } from "./config-dialect.ts";
import { parseGoDuration } from "./duration.ts";
import type { DEPLOYMENT_MODES, LOG_FORMATS, LOG_LEVELS, STORAGE_TYPES } from "./executor-config-schema.ts";
import { PERFORMER_GROUP, PERFORMER_KIND, PERFORMER_VERSION } from "./performer.ts";
import { DEFAULT_GRPC_PORT } from "./performer-defaults.ts";

/** How the executor runs performers: as Docker containers or as Performer resources. */
export type ExecutorDeploymentMode = (typeof DEPLOYMENT_MODES)[number];

/** Kubernetes quantities by resource name, as a Performer's spec.resources takes them. */
export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/**
 * Where an ECDSA key is, as the config gives it; src/executor/ecdsa-key.ts turns it into the key. `path` is the
 * key's YAML path as the file spells it, for messages.
 */
export interface EcdsaKeyRef {
  path: string;
  privateKey?: string;
  privateKeyFile?: string;
  /** A Web3 Secret Storage keystore (JSON text), or a file holding one. */
  keystore?: string;
  keystoreFile?: string;
  password?: string;
  remoteSigner?: {
    url?: string;
    caCert?: string;
    cert?: string;
    key?: string;
    fromAddress: string;
    publicKey: string;
  };
}

/** A BN254 key as the config gives it (an EIP-2335 keystore, inline or in a file), not decoded here. */
export interface BlsKeyRef {
  path: string;
  keystore?: string;
  keystoreFile?: string;
  password: string;
}

/** The operator the executor works for: its address and the references to its keys. */
export interface OperatorConfig {
  address: string;
  /** Signs the operator's transactions (Hourglass's operatorPrivateKey; the guide's ecdsa_key_file). */
  operatorPrivateKey: EcdsaKeyRef;
  signingKeys: { ecdsa?: EcdsaKeyRef; bls?: BlsKeyRef };
}

/** One environment variable of an AVS's performer: a value, the executor's own variable, or a
 * Secret/ConfigMap key. */
export interface AvsEnv {
  name: string;
  value?: string;
  valueFromEnv?: string;
  secretKeyRef?: { name: string; key: string };
  configMapKeyRef?: { name: string; key: string };
}

/** One AVS the executor serves, and how its performer is run. */
export interface AvsConfig {
  /** This entry's YAML path as the file spells it (`avsPerformers[0]`, `avs_config.supported_avs[0]`). */
  path: string;
  address: string;
  name?: string;
  image?: { repository: string; tag?: string };
  processType?: string;
  envs: AvsEnv[];
  /** Its own, else the top level's, else docker. */
  deploymentMode: ExecutorDeploymentMode;
  kubernetes?: { serviceAccountName?: string; endpointOverride?: string };
  /** docker mode: `host:port` of the performer, which runs outside the executor's control. */
  endpoint?: string;
  /** Its own default_resources, else the top level's. */
  defaultResources?: ResourceRequirements;
}

/** The kubernetes section: where the executor's Performers go, their CRD, and how the cluster is reached. */
export interface KubernetesConfig {
  namespace: string;
  operatorNamespace: string;
  crdGroup: string;
  crdVersion: string;
  crdKind: string;
  serviceAccount?: string;
  cleanupOnShutdown: boolean;
  cleanupTimeoutMs: number;
  connectionTimeoutMs: number;
  inCluster: boolean;
  kubeConfigPath?: string;
}

/** One entry of the config's chains: the chain and its endpoints and contract. */
export interface ChainConfig {
  name?: string;
  chainId?: number;
  rpcUrl?: string;
  wsUrl?: string;
  taskMailboxAddress?: string;
  blockConfirmations?: number;
  gasLimit?: number;
  eventFilter?: unknown;
}

/** storage.badger as Hourglass configures it; here only dir and inMemory are used (for the task store). */
export interface BadgerConfig {
  dir: string;
  inMemory: boolean;
  valueLogFileSize?: number;
  numVersionsToKeep?: number;
  numLevelZeroTables?: number;
  numLevelZeroTablesStall?: number;
}

/** A valid executor config as the executor reads it, whichever dialect: one field per meaning, defaults
 * applied. */
export interface ExecutorConfig {
  dialect: Dialect;
  debug: boolean;
  /** How every performer runs (the rules refuse a config whose AVSs disagree). */
  deploymentMode: ExecutorDeploymentMode;
  grpcPort: number;
  /** ExecutorManagementService's port; absent: the gRPC port (whichever it is at run time), as in Hourglass. */
  managementServerGrpcPort?: number;
  healthPort: number;
  metricsPort: number;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  aggregatorEndpoint?: string;
  aggregatorTlsEnabled: boolean;
  performerNetworkName?: string;
  operator: OperatorConfig;
  l1Chain: { rpcUrl: string; chainId: number };
  chains: ChainConfig[];
  /** Hourglass's `contracts`: core contract addresses replacing the built-in ones, as given. */
  contracts?: unknown;
  overrideContracts?: { taskMailbox?: { contract?: string; chainIds: number[] } };
  kubernetes?: KubernetesConfig;
  /** Absent: no task store configured. */
  storage?: { type: (typeof STORAGE_TYPES)[number]; badger?: BadgerConfig };
  authentication: { enabled: boolean };
  performer: {
    servicePattern: string;
    defaultPort: number;
    connectionTimeoutMs: number;
    startupTimeoutMs: number;
    retryAttempts: number;
    maxPerformers: number;
  };
  defaultResources?: ResourceRequirements;
  avs: AvsConfig[];
}

/** What an omitted key means. */
export const EXECUTOR_DEFAULTS = {
  /** Ours, and the guide's; Hourglass's own executor listens on 9090, which a camelCase file therefore means. */
  grpcPort: { snake_case: 9000, camelCase: 9090 },
  healthPort: 8090,
  metricsPort: 8080,
  logLevel: "info",
  logFormat: "json",
  deploymentMode: "docker",
  performer: {
    servicePattern: "performer-{name}.{namespace}.svc.cluster.local:{port}",
    // A Performer's gRPC port unless its spec says otherwise.
    defaultPort: DEFAULT_GRPC_PORT,
    connectionTimeout: "30s",
    startupTimeout: "5m",
    retryAttempts: 3,
    maxPerformers: 10,
  },
  kubernetes: {
    namespace: "default",
    operatorNamespace: "hourglass-system",
    crdGroup: PERFORMER_GROUP,
    crdVersion: PERFORMER_VERSION,
    crdKind: PERFORMER_KIND,
    cleanupOnShutdown: true,
    cleanupTimeout: "30s",
    connectionTimeout: "30s",
  },
} as const;

// biome-ignore lint/suspicious/noExplicitAny: a tree the schema and the rules have checked, read field by field
type Tree = Record<string, any>;

/** A duration the rules have already checked. */
const ms = (value: string | undefined, fallback: string) => parseGoDuration(value ?? fallback)!;

const quantities = (list: Record<string, string | number> | undefined) =>
  list && Object.fromEntries(Object.entries(list).map(([name, q]) => [name, String(q)]));

function resources(tree: Tree | undefined): ResourceRequirements | undefined {
  if (!tree) return undefined;
  const requests = quantities(tree.requests);
  const limits = quantities(tree.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function ecdsaKey(tree: Tree, path: string): EcdsaKeyRef {
  const remote = tree.remote_signer === true ? tree.remote_signer_config : undefined;
  return {
    path,
    privateKey: tree.private_key,
    privateKeyFile: tree.private_key_file,
    keystore: tree.keystore,
    keystoreFile: tree.keystore_file,
    password: tree.password,
    ...(remote
      ? {
          remoteSigner: {
            url: remote.url,
            caCert: remote.ca_cert,
            cert: remote.cert,
            key: remote.key,
            fromAddress: remote.from_address,
            publicKey: remote.public_key,
          },
        }
      : {}),
  };
}

function operator(tree: Tree, spell: (canonical: string) => string): OperatorConfig {
  // The guide's single key file both signs results and stands for the operator's key.
  const keyFile = tree.ecdsa_key_file as string | undefined;
  const fromFile =
    keyFile === undefined ? undefined : { path: spell("operator.ecdsa_key_file"), privateKeyFile: keyFile };
  const signing = (tree.signing_keys ?? {}) as Tree;
  const bls = signing.bls as Tree | undefined;
  return {
    address: tree.address,
    operatorPrivateKey: tree.operator_private_key
      ? ecdsaKey(tree.operator_private_key, spell("operator.operator_private_key"))
      : fromFile!,
    signingKeys: {
      ...(signing.ecdsa
        ? { ecdsa: ecdsaKey(signing.ecdsa, spell("operator.signing_keys.ecdsa")) }
        : fromFile
          ? { ecdsa: fromFile }
          : {}),
      ...(bls
        ? {
            bls: {
              path: spell("operator.signing_keys.bls"),
              keystore: bls.keystore,
              keystoreFile: bls.keystore_file,
              password: bls.password ?? "",
            },
          }
        : {}),
    },
  };
}

function env(tree: Tree): AvsEnv {
  const from = tree.kubernetes_env?.value_from as Tree | undefined;
  return {
    name: tree.name,
    value: tree.value,
    valueFromEnv: tree.value_from_env,
    ...(from?.secret_key_ref ? { secretKeyRef: from.secret_key_ref } : {}),
    ...(from?.config_map_key_ref ? { configMapKeyRef: from.config_map_key_ref } : {}),
  };
}

/** The AVS entries of either list, with their canonical paths. */
export function avsEntries(tree: Tree): { path: string; entry: Tree }[] {
  const list = (items: unknown, path: string) =>
    Array.isArray(items)
      ? items.map((entry, i) => ({ path: `${path}[${i}]`, entry: (entry ?? {}) as Tree }))
      : [];
  return [
    ...list(tree.avs_performers, "avs_performers"),
    ...list(tree.avs_config?.supported_avs, "avs_config.supported_avs"),
  ];
}

function avs(
  entry: Tree,
  path: string,
  topMode: ExecutorDeploymentMode | undefined,
  top: ResourceRequirements | undefined,
): AvsConfig {
  const repository = entry.image?.repository ?? entry.performer_image;
  const tag = entry.image?.tag ?? entry.performer_version;
  return {
    path,
    address: entry.address ?? entry.avs_address,
    name: entry.name,
    ...(repository !== undefined ? { image: { repository, ...(tag !== undefined ? { tag } : {}) } } : {}),
    processType: entry.process_type,
    envs: ((entry.envs ?? []) as Tree[]).map(env),
    deploymentMode: entry.deployment_mode ?? topMode ?? EXECUTOR_DEFAULTS.deploymentMode,
    ...(entry.kubernetes
      ? {
          kubernetes: {
            serviceAccountName: entry.kubernetes.service_account_name,
            endpointOverride: entry.kubernetes.endpoint_override,
          },
        }
      : {}),
    endpoint: entry.endpoint,
    defaultResources: resources(entry.default_resources) ?? top,
  };
}

function kubernetes(tree: Tree): KubernetesConfig {
  const d = EXECUTOR_DEFAULTS.kubernetes;
  return {
    namespace: tree.namespace ?? d.namespace,
    operatorNamespace: tree.operator_namespace ?? d.operatorNamespace,
    crdGroup: tree.crd_group ?? tree.performer_crd_group ?? d.crdGroup,
    crdVersion: tree.crd_version ?? tree.performer_crd_version ?? d.crdVersion,
    crdKind: tree.performer_crd_kind ?? d.crdKind,
    serviceAccount: tree.service_account,
    cleanupOnShutdown: tree.cleanup_on_shutdown ?? d.cleanupOnShutdown,
    cleanupTimeoutMs: ms(tree.cleanup_timeout, d.cleanupTimeout),
    connectionTimeoutMs: ms(tree.connection_timeout, d.connectionTimeout),
    inCluster: tree.in_cluster ?? false,
    kubeConfigPath: tree.kube_config_path ?? tree.kubeconfig,
  };
}

/** The model of a canonical tree without errors; `spell` gives a canonical path as the file spells it. */
export function executorConfigModel(
  tree: Tree,
  dialect: Dialect,
  spell: (canonical: string) => string,
): ExecutorConfig {
  const top = resources(tree.default_resources);
  const topMode = tree.deployment_mode as ExecutorDeploymentMode | undefined;
  const avsList = avsEntries(tree).map(({ path, entry }) => avs(entry, spell(path), topMode, top));
  const grpcPort = tree.grpc_port ?? EXECUTOR_DEFAULTS.grpcPort[dialect];
  const pc = (tree.performer_config ?? {}) as Tree;
  const p = EXECUTOR_DEFAULTS.performer;
  const badger = tree.storage?.badger as Tree | undefined;
  const mailbox = tree.override_contracts?.task_mailbox as Tree | undefined;
  return {
    dialect,
    debug: tree.debug ?? false,
    deploymentMode: topMode ?? avsList[0]?.deploymentMode ?? EXECUTOR_DEFAULTS.deploymentMode,
    grpcPort,
    ...(tree.management_server_grpc_port !== undefined
      ? { managementServerGrpcPort: tree.management_server_grpc_port }
      : {}),
    healthPort: tree.health_port ?? EXECUTOR_DEFAULTS.healthPort,
    metricsPort: tree.metrics_port ?? EXECUTOR_DEFAULTS.metricsPort,
    logLevel: tree.log_level ?? (tree.debug ? "debug" : EXECUTOR_DEFAULTS.logLevel),
    logFormat: tree.log_format ?? EXECUTOR_DEFAULTS.logFormat,
    aggregatorEndpoint: tree.aggregator_endpoint,
    aggregatorTlsEnabled: tree.aggregator_tls_enabled ?? false,
    performerNetworkName: tree.performer_network_name,
    operator: operator(tree.operator, spell),
    l1Chain: { rpcUrl: tree.l1_chain.rpc_url, chainId: tree.l1_chain.chain_id },
    chains: ((tree.chains ?? []) as Tree[]).map((c) => ({
      name: c.name,
      chainId: c.chain_id,
      rpcUrl: c.rpc_url,
      wsUrl: c.ws_url,
      taskMailboxAddress: c.task_mailbox_address,
      blockConfirmations: c.block_confirmations,
      gasLimit: c.gas_limit,
      eventFilter: c.event_filter,
    })),
    ...(tree.contracts !== undefined ? { contracts: tree.contracts } : {}),
    ...(tree.override_contracts
      ? {
          overrideContracts: mailbox
            ? { taskMailbox: { contract: mailbox.contract, chainIds: mailbox.chain_ids ?? [] } }
            : {},
        }
      : {}),
    ...(tree.kubernetes ? { kubernetes: kubernetes(tree.kubernetes) } : {}),
    ...(tree.storage
      ? {
          storage: {
            type: tree.storage.type ?? "memory",
            ...(badger
              ? {
                  badger: {
                    dir: badger.dir,
                    inMemory: badger.in_memory ?? false,
                    valueLogFileSize: badger.value_log_file_size,
                    numVersionsToKeep: badger.num_versions_to_keep,
                    numLevelZeroTables: badger.num_level_zero_tables,
                    numLevelZeroTablesStall: badger.num_level_zero_tables_stall,
                  },
                }
              : {}),
          },
        }
      : {}),
    authentication: { enabled: tree.authentication?.enabled ?? false },
    performer: {
      servicePattern: pc.service_pattern ?? p.servicePattern,
      defaultPort: pc.default_port ?? p.defaultPort,
      connectionTimeoutMs: ms(pc.connection_timeout, p.connectionTimeout),
      startupTimeoutMs: ms(pc.startup_timeout, p.startupTimeout),
      retryAttempts: pc.retry_attempts ?? p.retryAttempts,
      maxPerformers: pc.max_performers ?? p.maxPerformers,
    },
    ...(top ? { defaultResources: top } : {}),
    avs: avsList,
  };
}
