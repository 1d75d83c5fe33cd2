// kubernetes mode: the executor owns one Performer per supported AVS in kubernetes.namespace (the operator turns
// it into a Pod and a Service), routes to it through service_pattern once it is Ready, and follows its status.
// DeployArtifact is blue-green: the new Performer must be Ready before traffic moves, and the old one is drained
// and deleted after. A restarted executor adopts the Performers it finds instead of creating new ones.
// The cluster is reached only through a PerformerStore (kubernetes-performer-store.ts).
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { avsLabelValue, LABEL_AVS, type Performer } from "../api/performer.ts";
import { grpcPortOf } from "../api/performer-defaults.ts";
import type {
  DeployArtifactRequest,
  DeployArtifactResponse,
  RemovePerformerRequest,
  RemovePerformerResponse,
} from "../grpc/messages.ts";
import { persistently } from "../kube/api-calls.ts";
import { apiErrorMessage, errorLogFields, isConflict, isNotFound } from "../kube/api-errors.ts";
import { withDeadline } from "../kube/deadline.ts";
import type { InformerEvent } from "../kube/informer.ts";
import { deploymentOptions } from "./deploy-request.ts";
import { EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import type { PerformerManager } from "./executor-service.ts";
import {
  type Artifact,
  artifactFields,
  artifactOf,
  deployedArtifact,
  desiredPerformer,
  isPerformerReady,
  renderServicePattern,
} from "./performer-manifest.ts";
import { waitUntilReady } from "./performer-readiness.ts";
import { avsKey, type PerformerRegistry, type PerformerRoute } from "./performer-registry.ts";
import { closeWhenIdle, openRoute } from "./performer-route.ts";
import type { PerformerStore } from "./performer-store.ts";
import type { AvsSettings, ExecutorSettings } from "./settings.ts";

/** How often a re-creation waiting for a deployment in progress looks again. */
const RECREATE_POLL_MS = 1_000;

/** The AVS's Performers among `existing` that are not being deleted, newest first: the first is what the last
 * DeployArtifact (or the config) asked for, the others are leftovers of a switch that did not finish. */
export function performersOfAvs(existing: Performer[], avsAddress: string): Performer[] {
  const created = (p: Performer) => String(p.metadata.creationTimestamp ?? "");
  return existing
    .filter(
      (p) => p.metadata.labels?.[LABEL_AVS] === avsLabelValue(avsAddress) && !p.metadata.deletionTimestamp,
    )
    .sort((a, b) => created(b).localeCompare(created(a)));
}

/** Why one more Performer may not be created, if so. `blueGreen`: the new side of a deployment may exceed
 * max_performers by one until the old side is gone. */
export function capacityProblem(
  managed: number,
  maxPerformers: number,
  blueGreen: boolean,
): string | undefined {
  if (managed < maxPerformers + (blueGreen ? 1 : 0)) return undefined;
  return `performer_config.max_performers: ${managed} Performers exist; raise max_performers or remove one (RemovePerformer)`;
}

/** What shutdown deletes: every routed Performer, and every Performer of one of `avsKeys` in `seen`. */
export function performersToClean(
  routed: string[],
  seen: Performer[],
  avsKeys: ReadonlySet<string>,
): string[] {
  const ofOurAvs = seen.filter((p) => avsKeys.has(p.metadata.labels?.[LABEL_AVS] ?? ""));
  return [...new Set([...routed, ...ofOurAvs.map((p) => p.metadata.name!)])];
}

/** The problem with a DeployArtifact request before any AVS is looked up, as a gRPC status error. */
export function deployRequestProblem(
  request: Pick<DeployArtifactRequest, "avs_address" | "registry_url" | "digest">,
): Error | undefined {
  if (!request.avs_address)
    return executorError(EXECUTOR_ERRORS.deployInvalid, "avs_address: empty; name the AVS to deploy");
  if (!request.registry_url || !request.digest) {
    return executorError(
      EXECUTOR_ERRORS.deployInvalid,
      `${request.registry_url ? "digest" : "registry_url"}: empty; give the image as registry_url (e.g. ghcr.io/org/performer) and digest (sha256:…)`,
    );
  }
  return undefined;
}

function healthOf(performer: Performer) {
  return { status: performer.status?.phase ?? "Pending", resourceHealthy: isPerformerReady(performer) };
}

/** The kubernetes-mode performer manager: one Performer per AVS, adopted or created, blue-green on
 * DeployArtifact. */
export function kubernetesPerformerManager(parts: {
  registry: PerformerRegistry;
  settings: ExecutorSettings;
  store: PerformerStore;
  log: Logger;
}): PerformerManager {
  const { registry, settings, store, log } = parts;
  const k8s = settings.kubernetes!;
  const avsByKey = new Map(settings.avs.map((a) => [avsKey(a.address), a]));
  /** Performers the executor is deleting itself: their delete events are expected. */
  const deleting = new Set<string>();
  /** AVSs with a deployment (start, DeployArtifact, re-creation) in progress: one at a time each. */
  const deploying = new Set<string>();
  /** Aborted on shutdown: ends waits for Ready and retry waits that would otherwise outlive the executor. */
  const shutdown = new AbortController();
  /** Creates in progress, by name: they count against max_performers before the watch shows them, and shutdown
   * waits for them, so that what they create is deleted with the rest. */
  const creates = new Map<string, Promise<unknown>>();

  const retrying = <T>(what: string, work: () => Promise<T>) =>
    persistently(what, work, { budgetMs: settings.performer.startupTimeoutMs, signal: shutdown.signal, log });

  const ready = (name: string) =>
    waitUntilReady(store, name, {
      namespace: store.namespace,
      timeoutMs: settings.performer.startupTimeoutMs,
      signal: shutdown.signal,
    });

  async function createPerformer(desired: Performer, blueGreen = false): Promise<void> {
    const managed = new Set([...store.cached().map((p) => p.metadata.name!), ...creates.keys()]);
    for (const name of deleting) managed.delete(name);
    const full = capacityProblem(managed.size, settings.performer.maxPerformers, blueGreen);
    if (full) throw executorError(EXECUTOR_ERRORS.performerLimit, full);
    const name = desired.metadata.name!;
    try {
      const creating = retrying(`creating Performer ${name}`, async () => {
        // Shutdown collects the Performers to delete once creates in progress have settled; none may start after.
        if (shutdown.signal.aborted) throw new Error("the executor is stopping");
        await store.create(desired);
      });
      creates.set(name, creating);
      await creating.finally(() => creates.delete(name));
      log.info(
        { performer: name, avs: desired.spec.avsAddress, image: desired.spec.image },
        "Performer created",
      );
    } catch (error) {
      // Already there: created by an earlier run of this executor for the same artifact. Adopt it.
      if (!isConflict(error))
        throw new Error(`creating Performer ${store.namespace}/${name}: ${apiErrorMessage(error)}`);
      log.info({ performer: name }, "Performer exists; adopting it");
    }
  }

  async function deletePerformer(name: string): Promise<void> {
    deleting.add(name);
    try {
      await retrying(`deleting Performer ${name}`, () => store.delete(name));
      log.info({ performer: name }, "Performer deleted");
    } catch (error) {
      deleting.delete(name);
      if (!isNotFound(error))
        throw new Error(`deleting Performer ${store.namespace}/${name}: ${apiErrorMessage(error)}`);
    }
  }

  /** Sends the AVS's tasks to a Ready Performer; returns the route that had them before, if another. */
  function routeTo(avs: AvsSettings, performer: Performer): PerformerRoute | undefined {
    const name = performer.metadata.name!;
    // The port the controller gives the Performer's Service.
    const endpoint = renderServicePattern(settings.performer.servicePattern, {
      name,
      namespace: store.namespace,
      port: grpcPortOf(performer.spec),
    });
    const artifact = artifactFields(performer.spec);
    if (!registry.get(name)) {
      registry.add(
        openRoute({
          performerId: name,
          avsAddress: avs.address,
          artifactRegistry: artifact.registry,
          artifactDigest: artifact.digest,
          containerId: performer.status?.podName ?? "",
          endpoint,
          maxInFlight: settings.performer.maxInFlight,
          maxQueued: settings.performer.maxQueued,
          health: healthOf(performer),
        }),
      );
    }
    log.info({ avs: avs.address, performer: name, endpoint }, "routing AVS to Performer");
    return registry.activate(name);
  }

  /** Stops sending tasks to a performer, lets those in flight finish, then deletes its Performer. */
  async function retire(name: string): Promise<void> {
    deleting.add(name);
    const old = registry.remove(name);
    if (old) await closeWhenIdle(old);
    await deletePerformer(name);
  }

  /**
   * Adopts the newest of the AVS's Performers in `existing` or creates one of `artifact` (the config's when not
   * given); waits for Ready, routes to it, and deletes older leftovers of a blue-green switch that did not finish.
   */
  async function ensureAvs(avs: AvsSettings, existing: Performer[], artifact?: Artifact): Promise<void> {
    const mine = performersOfAvs(existing, avs.address);
    let current = mine[0];
    if (!current) {
      current = desiredPerformer(avs, artifact ?? configuredArtifact(avs), settings);
      await createPerformer(current);
    }
    routeTo(avs, await ready(current.metadata.name!));
    // The AVS is served; a leftover that cannot be deleted now is no reason to stop serving it.
    for (const leftover of mine.slice(1)) {
      await retire(leftover.metadata.name!).catch((error: Error) =>
        log.warn(
          { performer: leftover.metadata.name, ...errorLogFields(error) },
          "leftover Performer not deleted",
        ),
      );
    }
  }

  /** The performer_image and performer_version the config gives the AVS. */
  function configuredArtifact(avs: AvsSettings): Artifact {
    if (!avs.performerImage) {
      throw new Error(
        `avs_config.supported_avs[address=${avs.address}].performer_image: required in kubernetes mode; set the performer's image`,
      );
    }
    return { image: avs.performerImage, version: avs.performerVersion };
  }

  async function exclusively<T>(avs: AvsSettings, work: () => Promise<T>): Promise<T> {
    const key = avsKey(avs.address);
    if (deploying.has(key)) {
      throw executorError(
        EXECUTOR_ERRORS.deployInProgress,
        `a deployment for AVS ${avs.address} is in progress; retry when it has finished`,
      );
    }
    deploying.add(key);
    try {
      return await work();
    } finally {
      deploying.delete(key);
    }
  }

  /** Keeps ListPerformers current, and puts back a serving Performer that someone else deleted. */
  function follow(performer: Performer, event: InformerEvent): void {
    const name = performer.metadata.name!;
    const known = registry.get(name);
    if (event !== "delete") {
      if (known) {
        Object.assign(known.health, healthOf(performer));
        known.containerId = performer.status?.podName ?? known.containerId;
      }
      return;
    }
    if (deleting.delete(name) || !known || shutdown.signal.aborted) return;
    const wasActive = registry.isActive(name);
    registry.remove(name);
    // Calls already sent fail on their own; closing at once would also fail those still connecting, which never
    // reached the performer, with a message that says they may have run.
    void closeWhenIdle(known);
    const avs = avsByKey.get(avsKey(known.avsAddress));
    if (!wasActive || !avs) return;
    log.warn(
      { performer: name, avs: avs.address },
      "Performer deleted from outside the executor; recreating it",
    );
    recreate(avs, artifactOf(performer.spec)).catch((error: Error) =>
      log.error({ avs: avs.address, ...errorLogFields(error) }, "recreating the AVS's Performer failed"),
    );
  }

  /** The artifact the AVS ran, again (not the config's: it may have been deployed since), once no deployment for
   * the AVS is in progress, unless one of those has routed the AVS meanwhile. */
  async function recreate(avs: AvsSettings, artifact: Artifact): Promise<void> {
    while (!shutdown.signal.aborted && !registry.routeFor(avs.address)) {
      if (!deploying.has(avsKey(avs.address))) {
        await exclusively(avs, () => ensureAvs(avs, [], artifact));
        return;
      }
      await sleep(RECREATE_POLL_MS, undefined, { signal: shutdown.signal }).catch(() => undefined);
    }
  }

  async function listAtStartup(): Promise<Performer[]> {
    try {
      return await retrying("listing Performers", () => store.list());
    } catch (error) {
      throw new Error(
        `listing ${k8s.crdPlural}.${k8s.crdGroup} in namespace ${store.namespace}: ${apiErrorMessage(error)}; check that the Performer CRD is installed and that the executor may list, watch, create and delete Performers there`,
      );
    }
  }

  return {
    async start() {
      const existing = await listAtStartup();
      store.subscribe(follow);
      store.watch();
      await Promise.all(settings.avs.map((avs) => exclusively(avs, () => ensureAvs(avs, existing))));
    },

    async deployArtifact(request: DeployArtifactRequest): Promise<DeployArtifactResponse> {
      const problem = deployRequestProblem(request);
      if (problem) throw problem;
      const avs = avsByKey.get(avsKey(request.avs_address));
      if (!avs) {
        throw executorError(
          EXECUTOR_ERRORS.unknownAvs,
          `avs_address: this executor serves no AVS ${request.avs_address}; check the address, or add the AVS to the executor's config`,
        );
      }
      return exclusively(avs, async () => {
        const desired = desiredPerformer(
          avs,
          deployedArtifact(request.registry_url, request.digest, deploymentOptions(request)),
          settings,
        );
        const name = desired.metadata.name!;
        const previous = registry.routeFor(avs.address);
        if (previous?.performerId === name) {
          return {
            success: true,
            message: `Performer ${name} already runs this artifact`,
            deployment_id: name,
          };
        }
        let readyPerformer: Performer;
        try {
          await createPerformer(desired, true);
          readyPerformer = await ready(name);
        } catch (error) {
          // The old side keeps serving; the failed new side is removed so that nothing half-deployed lingers.
          await deletePerformer(name).catch((e: Error) =>
            log.error(errorLogFields(e), "removing the failed Performer"),
          );
          return {
            success: false,
            message: `${(error as Error).message}; AVS ${avs.address} stays on ${previous?.performerId ?? "no performer"}`,
            deployment_id: name,
          };
        }
        const old = routeTo(avs, readyPerformer);
        // Traffic has moved: a failure to delete the old side is reported, not a failed deployment.
        const retired =
          old &&
          (await retire(old.performerId).then(
            () => `; ${old.performerId} drained and deleted`,
            (error: Error) =>
              `; ${old.performerId} drained but not deleted (${error.message}); delete it by hand`,
          ));
        return {
          success: true,
          message: `AVS ${avs.address} moved to Performer ${name}${retired ?? ""}`,
          deployment_id: name,
        };
      });
    },

    async removePerformer(
      request: Pick<RemovePerformerRequest, "performer_id">,
    ): Promise<RemovePerformerResponse> {
      const known = registry.get(request.performer_id);
      if (!known) {
        throw executorError(
          EXECUTOR_ERRORS.performerNotFound,
          `performer_id: this executor manages no performer "${request.performer_id}"; ListPerformers shows the ids`,
        );
      }
      await retire(known.performerId);
      return {
        success: true,
        message: `Performer ${known.performerId} drained and deleted; AVS ${known.avsAddress} has no performer until DeployArtifact`,
      };
    },

    abortDeployments() {
      shutdown.abort();
    },

    async shutdown() {
      shutdown.abort();
      const cached = store.cached();
      await store.stopWatching();
      for (const route of registry.list()) route.connection.close();
      if (!k8s.cleanupOnShutdown) return;
      // All of it within cleanup_timeout, which the Pod's grace period budgets for.
      let names: string[] = [];
      const cleanup = async () => {
        await Promise.allSettled(creates.values());
        // The cluster's list as well as the cache's, which may not have seen the last create yet.
        const listed = await store.list().catch(() => []);
        names = performersToClean(
          registry.list().map((r) => r.performerId),
          [...cached, ...listed],
          new Set(avsByKey.keys()),
        );
        await Promise.all(names.map((name) => deletePerformer(name)));
      };
      // Each delete is bounded by kubernetes.connection_timeout in the store; this bounds them together.
      await withDeadline(
        "deleting the executor's Performers (kubernetes.cleanup_timeout)",
        k8s.cleanupTimeoutMs,
        () => cleanup(),
      ).catch((error: unknown) =>
        log.error({ ...errorLogFields(error), performers: names }, "cleanup incomplete"),
      );
    },
  };
}
