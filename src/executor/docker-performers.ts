// docker mode: each AVS's performer runs outside the executor (docker compose, systemd, a test) at the
// `endpoint` its config names; the executor only routes to it. Deploying artifacts is therefore not its job.
import type { Logger } from "pino";
import type {
  DeployArtifactResponse,
  RemovePerformerRequest,
  RemovePerformerResponse,
} from "../grpc/messages.ts";
import { EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import type { PerformerManager } from "./executor-service.ts";
import { avsKey, type PerformerRegistry } from "./performer-registry.ts";
import { closeWhenIdle, openRoute } from "./performer-route.ts";
import type { AvsSettings } from "./settings.ts";

function dockerPerformerId(avs: AvsSettings): string {
  return `performer-${avs.name ?? avsKey(avs.address)}`;
}

export function dockerPerformerManager(parts: {
  registry: PerformerRegistry;
  avs: readonly AvsSettings[];
  limits: { maxInFlight: number; maxQueued: number };
  log: Logger;
}): PerformerManager {
  const { registry, log } = parts;
  return {
    async start() {
      parts.avs.forEach((avs, i) => {
        if (!avs.endpoint) {
          throw new Error(
            `avs_config.supported_avs[${i}].endpoint: required in docker mode; set it to the performer's host:port`,
          );
        }
        const performerId = dockerPerformerId(avs);
        registry.add(
          openRoute({
            performerId,
            avsAddress: avs.address,
            artifactRegistry: avs.performerImage ?? "",
            artifactDigest: avs.performerVersion ?? "",
            containerId: "",
            endpoint: avs.endpoint,
            ...parts.limits,
          }),
        );
        registry.activate(performerId);
        log.info({ avs: avs.address, performerId, endpoint: avs.endpoint }, "routing AVS to its performer");
      });
    },
    async deployArtifact(): Promise<DeployArtifactResponse> {
      throw executorError(
        EXECUTOR_ERRORS.deployUnsupported,
        "deployment_mode is docker: performers run at their configured endpoint and are deployed outside the executor; use deployment_mode kubernetes to deploy artifacts through it",
      );
    },
    async removePerformer(
      request: Pick<RemovePerformerRequest, "performer_id">,
    ): Promise<RemovePerformerResponse> {
      const route = registry.remove(request.performer_id);
      if (!route) {
        throw executorError(
          EXECUTOR_ERRORS.performerNotFound,
          `performer_id: no performer "${request.performer_id}"; ListPerformers shows the ids`,
        );
      }
      // Tasks already sent finish on the old channel; new ones for the AVS find no route.
      void closeWhenIdle(route);
      log.info(
        { performerId: route.performerId, avs: route.avsAddress },
        "performer removed; its AVS has no route",
      );
      return {
        success: true,
        message: `performer ${route.performerId} removed; AVS ${route.avsAddress} has no performer now`,
      };
    },
    abortDeployments() {},
    async shutdown() {
      for (const route of registry.list()) route.connection.close();
    },
  };
}
