// What the executor config's schema cannot say, on the canonical tree (snake_case keys) whichever dialect the file
// used: what is required (as Hourglass's ExecutorConfig.Validate() requires it), deployment-mode consistency, the
// kubernetes section, durations, quantities, key references, and keys of the two dialects that say the same thing.
// Paths are canonical; the caller spells them as the file does. `spell` gives a key or path as the file spells it,
// for messages that name other keys.
import { parseGoDuration } from "./duration.ts";
import { avsEntries } from "./executor-config-model.ts";
import { error, type Problem, shown, warning } from "./problem.ts";
import { resourceProblems } from "./resource-rules.ts";
import { childPath } from "./schema-validation.ts";
import { web3KeystoreProblem } from "./web3-keystore.ts";

/** Messages the troubleshooting guide quotes; they must appear verbatim. */
export const MIXED_DEPLOYMENT_MODES = "mixed deployment modes not supported";
/** The message for kubernetes mode without a kubernetes section, as the troubleshooting guide quotes it. */
export const KUBERNETES_CONFIG_REQUIRED = "kubernetes configuration is required";

type Tree = Record<string, unknown>;
type Spell = (key: string) => string;

const DURATIONS = [
  "performer_config.connection_timeout",
  "performer_config.startup_timeout",
  "kubernetes.cleanup_timeout",
  "kubernetes.connection_timeout",
];
const PLACEHOLDERS = new Set(["{name}", "{namespace}", "{port}"]);
const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

const isObject = (value: unknown): value is Tree =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const objectAt = (value: unknown, key: string): Tree | undefined =>
  isObject(value) && isObject(value[key]) ? (value[key] as Tree) : undefined;
// As Hourglass's Go reads it: an empty string is no value.
const given = (tree: Tree | undefined, key: string) =>
  tree !== undefined && tree[key] !== undefined && tree[key] !== "";

/** Every problem the executor config's schema cannot find, on the canonical tree. */
export function executorConfigRules(tree: Tree, spell: Spell): Problem[] {
  return [
    ...operatorProblems(tree, spell),
    ...l1ChainProblems(tree),
    ...deploymentModeProblems(tree, spell),
    ...avsProblems(tree, spell),
    ...storageProblems(tree),
    ...durationProblems(tree),
    ...servicePatternProblems(tree),
    ...chainProblems(tree),
    ...resourceProblems(tree.default_resources, "default_resources", { warnUncapped: false, spell }),
  ];
}

/** Two keys of one object that say the same thing: an error when both are given. */
function onceProblem(tree: Tree | undefined, path: string, keys: [string, string], spell: Spell): Problem[] {
  return given(tree, keys[0]) && given(tree, keys[1])
    ? [error(childPath(path, keys[1]), `says what ${spell(keys[0])} says; give only one of them`)]
    : [];
}

function operatorProblems(tree: Tree, spell: Spell): Problem[] {
  const operator = objectAt(tree, "operator");
  if (!operator) {
    return [
      error("operator", `is required: the operator this executor works for (${spell("address")}, its keys)`),
    ];
  }
  const problems: Problem[] = [];
  if (!given(operator, "address"))
    problems.push(error("operator.address", "is required: the operator's address"));
  const keyFile = given(operator, "ecdsa_key_file");
  if (!keyFile && !given(operator, "operator_private_key")) {
    problems.push(
      error(
        `operator.${"operator_private_key"}`,
        `is required: the operator's ECDSA key (${spell("private_key")}, ${spell("keystore")} or a file)`,
      ),
    );
  }
  const signing = objectAt(operator, "signing_keys");
  if (!keyFile && !given(signing, "bls") && !given(signing, "ecdsa")) {
    problems.push(
      error(
        "operator.signing_keys",
        "is required: at least one signing key (BLS or ECDSA), which signs task results",
      ),
    );
  }
  for (const path of ["operator_private_key", "signing_keys.ecdsa"]) {
    const [first, second] = path.split(".") as [string, string | undefined];
    const key = second ? objectAt(objectAt(operator, first), second) : objectAt(operator, first);
    if (key) problems.push(...ecdsaKeyProblems(key, `operator.${path}`, spell));
  }
  const bls = objectAt(signing, "bls");
  if (bls && !given(bls, "keystore") && !given(bls, "keystore_file")) {
    problems.push(
      error(
        "operator.signing_keys.bls.keystore",
        `${spell("keystore")} or ${spell("keystore_file")} is required`,
      ),
    );
  }
  return problems;
}

const KEY_SOURCES = ["private_key", "private_key_file", "keystore", "keystore_file"] as const;

function ecdsaKeyProblems(key: Tree, path: string, spell: Spell): Problem[] {
  const sources = KEY_SOURCES.filter((source) => given(key, source));
  if (key.remote_signer === true) {
    const remote = objectAt(key, "remote_signer_config");
    if (!remote) {
      return [error(`${path}.remote_signer_config`, `is required when ${spell("remote_signer")} is true`)];
    }
    return (["from_address", "public_key"] as const)
      .filter((field) => !given(remote, field))
      .map((field) => error(`${path}.remote_signer_config.${field}`, "is required"));
  }
  if (sources.length !== 1) {
    return [
      error(
        path,
        `${sources.length === 0 ? "needs" : `gives ${sources.map(spell).join(" and ")}; give only`} one of ` +
          `${KEY_SOURCES.map(spell).join(", ")}`,
      ),
    ];
  }
  if (typeof key.private_key === "string" && !HEX_KEY.test(key.private_key.trim())) {
    return [
      error(`${path}.private_key`, "must be a secp256k1 private key: 64 hex digits, optionally 0x-prefixed"),
    ];
  }
  if (typeof key.keystore === "string") {
    const problem = web3KeystoreProblem(key.keystore);
    if (problem) return [error(`${path}.keystore`, problem)];
  }
  return [];
}

function l1ChainProblems(tree: Tree): Problem[] {
  const chain = objectAt(tree, "l1_chain");
  if (!chain) return [error("l1_chain", "is required: the L1 chain's JSON-RPC endpoint and chain id")];
  const problems: Problem[] = [];
  if (!given(chain, "rpc_url")) problems.push(error("l1_chain.rpc_url", "is required"));
  else problems.push(...urlProblems(chain.rpc_url, "l1_chain.rpc_url", ["http:", "https:", "ws:", "wss:"]));
  if (!given(chain, "chain_id")) {
    problems.push(error("l1_chain.chain_id", "is required: the chain whose contracts the executor reads"));
  }
  return problems;
}

function declaredModes(tree: Tree): { path: string; mode: string }[] {
  const modes: { path: string; mode: string }[] = [];
  if (typeof tree.deployment_mode === "string")
    modes.push({ path: "deployment_mode", mode: tree.deployment_mode });
  for (const { path, entry } of avsEntries(tree)) {
    const mode = typeof entry.deployment_mode === "string" ? entry.deployment_mode : undefined;
    // An AVS that says nothing runs as the top level says, else in docker mode, as in Hourglass.
    const effective = mode ?? (typeof tree.deployment_mode === "string" ? undefined : "docker");
    if (effective) modes.push({ path: `${path}.deployment_mode`, mode: effective });
  }
  return modes;
}

function deploymentModeProblems(tree: Tree, spell: Spell): Problem[] {
  const declared = declaredModes(tree);
  const first = declared[0];
  const problems: Problem[] = declared
    .filter((d) => first && d.mode !== first.mode)
    .map((d) =>
      error(
        d.path,
        `${MIXED_DEPLOYMENT_MODES}: "${d.mode}" here, "${first!.mode}" at ${spell(first!.path)}` +
          ` (an AVS that names none runs in docker mode); one executor runs all its performers one way: ` +
          `use the same ${spell("deployment_mode")} everywhere`,
      ),
    );
  const kubernetesAt = declared.find((d) => d.mode === "kubernetes")?.path;
  if (kubernetesAt === undefined) return problems;
  const k8s = objectAt(tree, "kubernetes");
  if (!k8s) {
    problems.push(
      error(
        kubernetesAt,
        `${KUBERNETES_CONFIG_REQUIRED} for deployment mode kubernetes: add a kubernetes section with ` +
          `${["namespace", "operator_namespace", "crd_group", "crd_version", "connection_timeout", "in_cluster"].map(spell).join(", ")}`,
      ),
    );
    return problems;
  }
  const required: [string, string?][] = [
    ["namespace"],
    ["operator_namespace"],
    ["crd_group", "performer_crd_group"],
    ["crd_version", "performer_crd_version"],
    ["connection_timeout"],
  ];
  for (const [key, alias] of required) {
    if (!given(k8s, key) && !(alias && given(k8s, alias))) {
      const also = alias ? ` (${spell(alias)} says the same)` : "";
      problems.push(error(`kubernetes.${key}`, `is required in kubernetes mode${also}`));
    }
    if (alias) problems.push(...onceProblem(k8s, "kubernetes", [key, alias], spell));
  }
  problems.push(...onceProblem(k8s, "kubernetes", ["kube_config_path", "kubeconfig"], spell));
  if (k8s.in_cluster !== true && !given(k8s, "kube_config_path") && !given(k8s, "kubeconfig")) {
    problems.push(
      error(
        "kubernetes.kube_config_path",
        `is required when not running in a cluster (${spell("kubeconfig")} says the same): set it, or set ` +
          `${spell("in_cluster")}: true`,
      ),
    );
  }
  return problems;
}

function avsProblems(tree: Tree, spell: Spell): Problem[] {
  const problems: Problem[] = [];
  if (given(tree, "avs_performers") && given(objectAt(tree, "avs_config"), "supported_avs")) {
    problems.push(
      error(
        "avs_config.supported_avs",
        `lists AVSs ${spell("avs_performers")} lists too; list them in one place`,
      ),
    );
  }
  const seen = new Map<string, string>();
  const topMode = typeof tree.deployment_mode === "string" ? tree.deployment_mode : "docker";
  for (const { path, entry } of avsEntries(tree)) {
    if (!isObject(entry)) continue;
    const addressKey = path.startsWith("avs_performers") ? "avs_address" : "address";
    problems.push(...onceProblem(entry, path, ["address", "avs_address"], spell));
    problems.push(...onceProblem(entry, path, ["image", "performer_image"], spell));
    problems.push(...onceProblem(entry, path, ["image", "performer_version"], spell));
    const address = entry.address ?? entry.avs_address;
    if (address === undefined)
      problems.push(error(`${path}.${addressKey}`, "is required: the AVS's address"));
    else if (typeof address === "string") {
      const earlier = seen.get(address.toLowerCase());
      if (earlier !== undefined)
        problems.push(error(`${path}.${addressKey}`, `repeats ${spell(earlier)}; list each AVS once`));
      else seen.set(address.toLowerCase(), `${path}.${addressKey}`);
    }
    const image = objectAt(entry, "image");
    for (const field of ["repository", "tag"]) {
      if (image && !given(image, field)) problems.push(error(`${path}.image.${field}`, "is required"));
    }
    if (Array.isArray(entry.envs)) {
      entry.envs.forEach((env, i) => {
        if (!given(isObject(env) ? env : undefined, "name"))
          problems.push(error(`${path}.envs[${i}].name`, "is required"));
      });
    }
    const mode = typeof entry.deployment_mode === "string" ? entry.deployment_mode : topMode;
    if (mode === "docker" && !given(entry, "endpoint") && !image && !given(entry, "performer_image")) {
      problems.push(
        warning(
          `${path}.endpoint`,
          "is not set, nor an image: in docker mode this executor routes tasks to a performer at this host:port " +
            "or runs one from the image, so it has no performer for this AVS until one is given",
        ),
      );
    }
    if (mode === "kubernetes" && !image && !given(entry, "performer_image")) {
      problems.push(
        warning(
          `${path}.${spell("performer_image")}`,
          "is not set: no Performer is created for this AVS at start; deploy one through DeployArtifact",
        ),
      );
    }
    problems.push(
      ...resourceProblems(entry.default_resources, `${path}.default_resources`, {
        warnUncapped: false,
        spell,
      }),
    );
  }
  return problems;
}

function storageProblems(tree: Tree): Problem[] {
  const storage = objectAt(tree, "storage");
  if (storage?.type !== "badger") return [];
  const badger = objectAt(storage, "badger");
  if (!badger) return [error("storage.badger", "is required when type is badger: at least its dir")];
  return given(badger, "dir") ? [] : [error("storage.badger.dir", "is required: the store's directory")];
}

function durationProblems(tree: Tree): Problem[] {
  return DURATIONS.flatMap((path) => {
    const [section, key] = path.split(".") as [string, string];
    const value = objectAt(tree, section)?.[key];
    return value !== undefined && (typeof value !== "string" || parseGoDuration(value) === undefined)
      ? [error(path, `must be a Go duration such as 30s, 5m or 1h30m (got ${shown(value)})`)]
      : [];
  });
}

function servicePatternProblems(tree: Tree): Problem[] {
  const pattern = objectAt(tree, "performer_config")?.service_pattern;
  if (typeof pattern !== "string") return [];
  const unknown = [...pattern.matchAll(/\{[^}]*\}/g)].map((m) => m[0]).filter((p) => !PLACEHOLDERS.has(p));
  return unknown.length > 0
    ? [
        error(
          "performer_config.service_pattern",
          `has unknown placeholder ${unknown.join(", ")}; use {name}, {namespace} and {port}`,
        ),
      ]
    : [];
}

function urlProblems(url: unknown, path: string, allowed: string[]): Problem[] {
  if (typeof url !== "string") return [];
  const scheme = URL.canParse(url) ? new URL(url).protocol : undefined;
  // Node URLs often carry an API key, so the value itself is never quoted.
  return scheme !== undefined && allowed.includes(scheme)
    ? []
    : [
        error(
          path,
          `must be a ${allowed.map((s) => `${s}//`).join(" or ")} URL (got ${
            scheme === undefined ? "text that is not a URL" : `a ${shown(scheme)} URL`
          }; the value is not shown, since such URLs may hold a key)`,
        ),
      ];
}

function chainProblems(tree: Tree): Problem[] {
  if (!Array.isArray(tree.chains)) return [];
  return tree.chains.flatMap((chain: unknown, i) => [
    ...urlProblems(objectAt({ chain }, "chain")?.rpc_url, `chains[${i}].rpc_url`, ["http:", "https:"]),
    ...urlProblems(objectAt({ chain }, "chain")?.ws_url, `chains[${i}].ws_url`, ["ws:", "wss:"]),
  ]);
}
