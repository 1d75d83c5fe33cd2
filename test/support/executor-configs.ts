// Executor configs as a namespace's executor-config ConfigMap holds them, for admission tests: one head (the
// aggregator, the operator, the L1 chain and, in kubernetes mode, the kubernetes section), and the parts each test varies.
import assert from "node:assert/strict";
import { parseExecutorConfig } from "../../src/api/executor-config.ts";
import { formatProblem } from "../../src/api/problem.ts";
import type { NamespaceExecutorConfig } from "../../webhooks/admission-facts.ts";

/** What kubernetes mode requires, for the namespace avs-one. */
export const KUBERNETES_SECTION = `kubernetes:
  namespace: avs-one
  operator_namespace: hourglass-system
  performer_crd_group: hourglass.eigenlayer.io
  performer_crd_version: v1alpha1
  connection_timeout: 30s
  in_cluster: true
`;

/** A whole config: the head for `mode`, then `rest` (top-level keys, e.g. from supportedAvs). */
export function executorConfigYaml(mode: "docker" | "kubernetes", rest: string): string {
  return `aggregator_endpoint: aggregator.example:9000
deployment_mode: ${mode}
operator:
  address: "0x00000000000000000000000000000000000000aa"
  ecdsa_key_file: /etc/executor/key
l1_chain:
  rpc_url: http://127.0.0.1:8545
  chain_id: 31337
${mode === "kubernetes" ? KUBERNETES_SECTION : ""}${rest}`;
}

/** `avs_config.supported_avs` holding `entries`: list items indented by four spaces. */
export function supportedAvs(entries: string): string {
  return `avs_config:\n  supported_avs:\n${entries}`;
}

/** A config that must be valid, as the webhooks' lookup hands it over. */
export function namespaceExecutorConfig(yaml: string): NamespaceExecutorConfig {
  const parsed = parseExecutorConfig(yaml);
  assert.ok(parsed.config, parsed.problems.map(formatProblem).join("\n"));
  return { configMapName: "executor-config", config: parsed.config };
}
