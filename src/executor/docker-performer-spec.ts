// What the executor asks of a Docker engine for one AVS's performer container: pure functions of the settings and
// the artifact. Names and hostname follow Hourglass's (`avs-performer-<first 6 hex of sha256(avs)>-<unix time>`),
// so that a blue-green deployment's two sides can coexist on the network.
import { createHash } from "node:crypto";
import type { ContainerCreateOptions } from "dockerode";
import type { AvsEnv } from "../api/executor-config.ts";
import { avsLabelValue, LABEL_AVS } from "../api/performer.ts";
import { parseQuantity, type Quantity } from "../api/quantity.ts";
import type { PerformerEnv } from "../grpc/messages.ts";
import type { ContainerInfo } from "./docker-engine.ts";
import { type Artifact, LABEL_MANAGED_BY, MANAGED_BY_EXECUTOR } from "./performer-manifest.ts";
import type { AvsSettings } from "./settings.ts";

/** The container label holding the performer id, so that the executor's containers can be told apart on the
 * engine. */
export const LABEL_PERFORMER_ID = "hourglass.eigenlayer.io/performer";
/** Seconds a performer is given to finish its tasks on `docker stop` (the API's default would be 0: SIGKILL). */
const STOP_TIMEOUT_S = 10;

/** `image:version`, or `image@digest` as DeployArtifact gives it. */
export function imageReference(artifact: Artifact): string {
  return artifact.version ? `${artifact.image}:${artifact.version}` : artifact.image;
}

/** A performer container's name as Hourglass makes it; `serial` keeps two made in the same second apart. */
export function performerContainerName(avsAddress: string, nowMs: number, serial = 0): string {
  const hash = createHash("sha256").update(avsAddress).digest("hex").slice(0, 6);
  const suffix = serial > 0 ? `-${serial}` : "";
  return `avs-performer-${hash}-${Math.floor(nowMs / 1000)}${suffix}`;
}

/** A quantity's value rounded to an integer after scaling by 10^shift (bytes: 0; nano-CPUs: 9). */
function quantityInteger(q: Quantity, shift: number): number {
  const exponent = q.exponent + shift;
  const value = exponent >= 0 ? q.mantissa * 10n ** BigInt(exponent) : q.mantissa / 10n ** BigInt(-exponent);
  return Number(value);
}

/** The guide's `--memory` and `--cpus`: the AVS's resource limits as the engine takes them. */
export function containerLimits(avs: AvsSettings): { Memory?: number; NanoCpus?: number } {
  const limits = avs.resources?.limits ?? {};
  return {
    ...(limits.memory ? { Memory: quantityInteger(parseQuantity(limits.memory), 0) } : {}),
    ...(limits.cpu ? { NanoCpus: quantityInteger(parseQuantity(limits.cpu), 9) } : {}),
  };
}

/** The Engine API's create request for one AVS's performer container: image, labels, network, env, limits. */
export function performerContainerOptions(parts: {
  avs: AvsSettings;
  artifact: Artifact;
  name: string;
  performerId: string;
  /** performerNetworkName; unset, the engine's default network. */
  network?: string;
  grpcPort: number;
  /** NAME=value, as DeployArtifact's env gives them. */
  env?: string[];
}): ContainerCreateOptions {
  const { avs, artifact, name, network, grpcPort } = parts;
  const port = `${grpcPort}/tcp`;
  return {
    name,
    Hostname: name,
    Image: imageReference(artifact),
    Env: [`PERFORMER_GRPC_PORT=${grpcPort}`, ...(parts.env ?? [])],
    Labels: {
      [LABEL_AVS]: avsLabelValue(avs.address),
      [LABEL_PERFORMER_ID]: parts.performerId,
      [LABEL_MANAGED_BY]: MANAGED_BY_EXECUTOR,
    },
    ExposedPorts: { [port]: {} },
    StopTimeout: STOP_TIMEOUT_S,
    HostConfig: {
      ...(network ? { NetworkMode: network } : {}),
      // Loopback only, on a port the engine picks: without a network the executor dials it there.
      PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
      RestartPolicy: { Name: "no" },
      ...containerLimits(avs),
    },
    ...(network ? { NetworkingConfig: { EndpointsConfig: { [network]: {} } } } : {}),
  };
}

/** Where the executor dials the container, as Hourglass does: on performerNetworkName, the container's own port at
 * its address there (Hourglass uses the hostname, which only a resolver on that network knows; the address works
 * from the host and from a container on the network alike); without one, the port published on loopback. */
export function performerEndpoint(
  info: Pick<ContainerInfo, "hostPorts" | "addresses">,
  network: string | undefined,
  grpcPort: number,
): string {
  if (network) {
    const address = info.addresses[network];
    if (!address) throw new Error(`the engine gave the container no address on network ${network}`);
    return `${address}:${grpcPort}`;
  }
  const hostPort = info.hostPorts[`${grpcPort}/tcp`];
  if (!hostPort) throw new Error(`the engine published no host port for ${grpcPort}/tcp`);
  return `127.0.0.1:${hostPort}`;
}

/** avsPerformers[].envs as the container's, as Hourglass's executor builds them: a value, or (valueFromEnv) the
 * executor's own variable; a Secret or ConfigMap reference, which only kubernetes mode resolves, gives "". */
export function configuredEnv(envs: readonly AvsEnv[] | undefined, from: NodeJS.ProcessEnv): string[] {
  return (envs ?? []).map(
    (e) => `${e.name}=${e.valueFromEnv ? (from[e.valueFromEnv] ?? "") : (e.value ?? "")}`,
  );
}

/** DeployArtifact's env as the container's: a value, or (value_from_env) the executor's own variable, as Hourglass
 * reads it. */
export function deployedEnv(env: readonly PerformerEnv[], from: NodeJS.ProcessEnv): string[] {
  return env.map((e) => `${e.name}=${e.value_from_env ? (from[e.value_from_env] ?? "") : e.value}`);
}
