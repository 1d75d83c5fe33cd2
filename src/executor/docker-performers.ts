// docker mode. An AVS with an `endpoint` has its performer run by something else (docker compose, systemd, a
// test): the executor only routes to it. Any other AVS gets its performer container from the Docker engine, as
// Hourglass's executor does: image found or pulled, the network performerNetworkName created if missing, the
// container started and routed to once grpc.health.v1 says SERVING, replaced if it dies, switched blue-green by
// DeployArtifact, and removed (with the network it created) on shutdown. A start that fails anywhere removes what
// it made, so that the engine holds nothing the executor does not route to.
import type { Logger } from "pino";
import type {
  DeployArtifactRequest,
  DeployArtifactResponse,
  RemovePerformerRequest,
  RemovePerformerResponse,
} from "../grpc/messages.ts";
import { errorLogFields } from "../kube/api-errors.ts";
import type { DockerEngine } from "./docker-engine.ts";
import {
  configuredEnv,
  deployedEnv,
  imageReference,
  performerContainerName,
  performerContainerOptions,
  performerEndpoint,
} from "./docker-performer-spec.ts";
import { EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import type { PerformerManager } from "./executor-service.ts";
import { grpcHealthStatus } from "./grpc-health-probe.ts";
import { deployRequestProblem } from "./kubernetes-performers.ts";
import { type Artifact, deployedArtifact } from "./performer-manifest.ts";
import { avsKey, type PerformerRegistry, type PerformerRoute } from "./performer-registry.ts";
import { closeWhenIdle, openRoute } from "./performer-route.ts";
import type { AvsSettings, ExecutorSettings } from "./settings.ts";

const WATCH_INTERVAL_MS = 1_000;
const HEALTH_POLL_MS = 200;
const LOG_TAIL_LINES = 20;

interface ManagedContainer {
  id: string;
  avs: AvsSettings;
  artifact: Artifact;
  env: string[];
  route: PerformerRoute;
  /** Removed on purpose (replaced, deployed over, removed, shutting down): its exit is not a death. */
  retiring: boolean;
}

function fixedPerformerId(avs: AvsSettings): string {
  return `performer-${avs.name ?? avsKey(avs.address)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The docker-mode performer manager: runs, watches, replaces and deploys each AVS's performer container. */
export function dockerPerformerManager(parts: {
  registry: PerformerRegistry;
  settings: Pick<ExecutorSettings, "avs" | "performer" | "performerNetworkName">;
  engine: () => DockerEngine;
  log: Logger;
  /** grpc.health.v1's overall status at an endpoint; the real probe unless a test gives another. */
  healthStatus?: (endpoint: string, deadline: Date) => Promise<string>;
  /** How often containers are checked for death. */
  watchIntervalMs?: number;
  /** Where valueFromEnv reads; the executor's own environment. */
  env?: NodeJS.ProcessEnv;
}): PerformerManager {
  const { registry, log, settings } = parts;
  const healthStatus = parts.healthStatus ?? grpcHealthStatus;
  const env = parts.env ?? process.env;
  // Unset, as in Hourglass: the engine's default network, and the container dialled on its published port.
  const network = settings.performerNetworkName || undefined;
  const grpcPort = settings.performer.defaultPort;
  const containers = new Map<string, ManagedContainer>();
  const aborter = new AbortController();
  // What waits on the engine (a pull, a create, a start, an inspect) gives up with abortDeployments.
  const { signal } = aborter;
  let engine: DockerEngine | undefined;
  let createdNetwork = false;
  let serial = 0;
  let watcher: NodeJS.Timeout | undefined;
  let watching: Promise<void> = Promise.resolve();
  /** Starts and deployments under way; shutdown waits for them to finish or give up. */
  const pending = new Set<Promise<unknown>>();
  let stopping = false;

  const track = <T>(work: Promise<T>): Promise<T> => {
    pending.add(work);
    const done = () => pending.delete(work);
    work.then(done, done);
    return work;
  };

  const docker = () => {
    engine ??= parts.engine();
    return engine;
  };

  /** Waits for SERVING, or fails with the container's last output if it exits first. */
  async function waitServing(id: string, name: string, endpoint: string): Promise<void> {
    const deadline = Date.now() + settings.performer.startupTimeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      if (signal.aborted) throw new Error(`container ${name}: startup aborted by shutdown`);
      const state = await docker().inspectContainer(id, signal);
      if (!state?.running) {
        const logs = await docker()
          .logsTail(id, LOG_TAIL_LINES, signal)
          .catch(() => "");
        throw new Error(
          `container ${name} ${state ? `exited with code ${state.exitCode}` : "is gone"} before serving; docker logs --tail ${LOG_TAIL_LINES} ${name}:\n${logs}`,
        );
      }
      try {
        last = await healthStatus(endpoint, new Date(Date.now() + 1_000));
        if (last === "SERVING") return;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(HEALTH_POLL_MS);
    }
    throw new Error(
      `container ${name}: grpc.health.v1 not SERVING at ${endpoint} within startup_timeout (${settings.performer.startupTimeoutMs} ms); last answer: ${last}`,
    );
  }

  /** Starts a container for the artifact and registers it, not yet taking traffic. A failure removes the
   * container it created. */
  async function startContainer(
    avs: AvsSettings,
    artifact: Artifact,
    containerEnv: string[],
  ): Promise<ManagedContainer> {
    const image = imageReference(artifact);
    await docker().ensureImage(image, signal);
    if (network && (await docker().ensureNetwork(network, signal))) {
      createdNetwork = true;
      log.info({ network }, "created performer network");
    }
    serial += 1;
    const name = performerContainerName(avs.address, Date.now(), serial);
    const performerId = `performer-${avsKey(avs.address)}-${name}`;
    const options = performerContainerOptions({
      avs,
      artifact,
      name,
      performerId,
      network,
      grpcPort,
      env: containerEnv,
    });
    const id = await docker().createContainer(options, signal);
    let endpoint: string;
    try {
      await docker().startContainer(id, signal);
      const info = await docker().inspectContainer(id, signal);
      if (!info) throw new Error(`container ${name} is gone right after its start`);
      endpoint = performerEndpoint(info, network, grpcPort);
      await waitServing(id, name, endpoint);
    } catch (error) {
      await docker()
        .removeContainer(id)
        .catch((removal: unknown) =>
          log.error(
            { container: name, id, ...errorLogFields(removal) },
            "removing a container that failed to start failed",
          ),
        );
      throw error;
    }
    const route = openRoute({
      performerId,
      avsAddress: avs.address,
      artifactRegistry: artifact.version ? artifact.image : artifact.image.split("@")[0]!,
      artifactDigest: artifact.version ?? artifact.image.split("@")[1] ?? "",
      containerId: id,
      endpoint,
      maxInFlight: settings.performer.maxInFlight,
      maxQueued: settings.performer.maxQueued,
      health: { status: "SERVING", resourceHealthy: true, applicationHealthy: true },
    });
    const managed = { id, avs, artifact, env: containerEnv, route, retiring: false };
    containers.set(performerId, managed);
    registry.add(route);
    log.info(
      { avs: avs.address, performerId, container: name, image, endpoint },
      "performer container serving",
    );
    return managed;
  }

  /** Takes a container out of service: no new tasks, then removal once those sent have answered. */
  async function retire(managed: ManagedContainer): Promise<void> {
    managed.retiring = true;
    registry.remove(managed.route.performerId);
    containers.delete(managed.route.performerId);
    await closeWhenIdle(managed.route);
    await docker().removeContainer(managed.id);
  }

  async function replaceDead(managed: ManagedContainer, exit: string): Promise<void> {
    const logs = await docker()
      .logsTail(managed.id, LOG_TAIL_LINES, signal)
      .catch(() => "");
    log.error(
      { avs: managed.avs.address, container: managed.id, exit, logs },
      "performer container died; replacing it",
    );
    const wasActive = registry.isActive(managed.route.performerId);
    await retire(managed);
    if (!wasActive || stopping) return;
    const next = await startContainer(managed.avs, managed.artifact, managed.env);
    registry.activate(next.route.performerId);
  }

  async function watchOnce(): Promise<void> {
    for (const managed of [...containers.values()]) {
      if (managed.retiring || stopping) continue;
      const state = await docker()
        .inspectContainer(managed.id, signal)
        .catch(() => ({ running: true }) as const);
      if (state?.running) continue;
      const exit = state ? `exited with code ${state.exitCode}` : "removed";
      await replaceDead(managed, exit).catch((error: unknown) =>
        log.error(
          { avs: managed.avs.address, ...errorLogFields(error) },
          "replacing the performer container failed",
        ),
      );
    }
  }

  function scheduleWatch(): void {
    watcher = setTimeout(() => {
      watching = watchOnce().finally(() => {
        if (!stopping) scheduleWatch();
      });
    }, parts.watchIntervalMs ?? WATCH_INTERVAL_MS);
  }

  /** Every container and route this manager holds goes, and the network if this executor created it. */
  async function removeAll(): Promise<void> {
    await Promise.all([...containers.values()].map((c) => retire(c)));
    for (const route of registry.list()) {
      registry.remove(route.performerId);
      route.connection.close();
    }
    if (createdNetwork && network) {
      await docker().removeNetwork(network);
      createdNetwork = false;
      log.info({ network }, "removed performer network");
    }
  }

  async function startAll(): Promise<void> {
    for (const avs of settings.avs) {
      if (avs.endpoint) {
        const performerId = fixedPerformerId(avs);
        registry.add(
          openRoute({
            performerId,
            avsAddress: avs.address,
            artifactRegistry: avs.performerImage ?? "",
            artifactDigest: avs.performerVersion ?? "",
            containerId: "",
            endpoint: avs.endpoint,
            maxInFlight: settings.performer.maxInFlight,
            maxQueued: settings.performer.maxQueued,
          }),
        );
        registry.activate(performerId);
        log.info({ avs: avs.address, performerId, endpoint: avs.endpoint }, "routing AVS to its performer");
        continue;
      }
      const managed = await startContainer(
        avs,
        { image: avs.performerImage!, version: avs.performerVersion },
        configuredEnv(avs.envs, env),
      );
      registry.activate(managed.route.performerId);
    }
  }

  function managedAvs(address: string): AvsSettings | undefined {
    return settings.avs.find((a) => !a.endpoint && avsKey(a.address) === avsKey(address));
  }

  return {
    async start() {
      // Every AVS is checked before any is routed or started: a bad entry leaves nothing behind.
      settings.avs.forEach((avs, i) => {
        if (!avs.endpoint && !avs.performerImage) {
          throw new Error(
            `avs_config.supported_avs[${i}]: docker mode needs performer_image (and performer_version) for the executor to run the performer's container, or endpoint for a performer run elsewhere`,
          );
        }
      });
      try {
        await track(startAll());
      } catch (error) {
        // The AVSs started before the one that failed go too: a failed start leaves nothing in the engine.
        await removeAll().catch((cleanup: unknown) =>
          log.error(errorLogFields(cleanup), "removing what a failed start made failed"),
        );
        throw error;
      }
      if (containers.size > 0) scheduleWatch();
    },
    async deployArtifact(request: DeployArtifactRequest): Promise<DeployArtifactResponse> {
      const problem = deployRequestProblem(request);
      if (problem) throw problem;
      const avs = managedAvs(request.avs_address);
      if (!avs) {
        throw executorError(
          EXECUTOR_ERRORS.deployUnsupported,
          `avs_address: ${request.avs_address} has no performer container managed by this executor (not configured, or run elsewhere at its endpoint)`,
        );
      }
      const artifact = deployedArtifact(request.registry_url, request.digest);
      let next: ManagedContainer;
      try {
        next = await track(startContainer(avs, artifact, deployedEnv(request.env ?? [], env)));
      } catch (error) {
        throw executorError(EXECUTOR_ERRORS.deployUnsupported, (error as Error).message);
      }
      // Blue-green: traffic moves only now that the new side serves; the old one drains, then goes.
      const previous = registry.activate(next.route.performerId);
      const old = previous && containers.get(previous.performerId);
      if (old) await retire(old);
      log.info({ avs: avs.address, performerId: next.route.performerId }, "artifact deployed");
      return {
        success: true,
        message: `performer ${next.route.performerId} runs ${imageReference(artifact)}`,
        deployment_id: next.route.performerId,
      };
    },
    async removePerformer(
      request: Pick<RemovePerformerRequest, "performer_id">,
    ): Promise<RemovePerformerResponse> {
      const managed = containers.get(request.performer_id);
      if (managed) {
        await retire(managed);
      } else {
        const route = registry.remove(request.performer_id);
        if (!route) {
          throw executorError(
            EXECUTOR_ERRORS.performerNotFound,
            `performer_id: no performer "${request.performer_id}"; ListPerformers shows the ids`,
          );
        }
        void closeWhenIdle(route);
      }
      log.info({ performerId: request.performer_id }, "performer removed");
      return { success: true, message: `performer ${request.performer_id} removed` };
    },
    abortDeployments() {
      aborter.abort();
    },
    async shutdown() {
      stopping = true;
      clearTimeout(watcher);
      await watching;
      // abortDeployments came first: what is still starting gives up, and removes its container itself.
      await Promise.allSettled([...pending]);
      await removeAll();
    },
  };
}
