import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { deploymentOptions, performerEnv } from "../../../src/executor/deploy-request.ts";
import type { PerformerEnv } from "../../../src/grpc/messages.ts";

const env = (fields: Partial<PerformerEnv> & { name: string }): PerformerEnv => ({
  value: "",
  value_from_env: "",
  kubernetes_env: null,
  ...fields,
});

describe("DeployArtifact's env and service account", () => {
  it("maps literal values and Secret or ConfigMap references to core EnvVars, skipping entries with no source", () => {
    assert.deepEqual(
      performerEnv([
        env({ name: "A", value: "1" }),
        env({
          name: "B",
          kubernetes_env: {
            value_from: { secret_key_ref: { name: "s", key: "k" }, config_map_key_ref: null },
          },
        }),
        env({
          name: "C",
          kubernetes_env: {
            value_from: { secret_key_ref: null, config_map_key_ref: { name: "cm", key: "x" } },
          },
        }),
        env({ name: "EMPTY" }),
      ]),
      [
        { name: "A", value: "1" },
        { name: "B", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
        { name: "C", valueFrom: { configMapKeyRef: { name: "cm", key: "x" } } },
      ],
    );
  });

  it("refuses value_from_env and a nameless entry, naming the field", () => {
    assert.throws(
      () => performerEnv([env({ name: "A", value: "1" }), env({ name: "B", value_from_env: "HOME" })]),
      (error: { code: number; details: string }) =>
        error.code === status.INVALID_ARGUMENT &&
        /^env\[1\]\.value_from_env: not supported/.test(error.details),
    );
    assert.throws(
      () => performerEnv([env({ name: "", value: "1" })]),
      (error: { details: string }) => /^env\[0\]\.name: required/.test(error.details),
    );
  });

  it("asks for nothing when the request gives nothing", () => {
    assert.deepEqual(deploymentOptions({ env: [], kubernetes: null }), {});
    assert.deepEqual(deploymentOptions({ env: [], kubernetes: { service_account_name: "sa" } }), {
      serviceAccountName: "sa",
    });
  });
});
