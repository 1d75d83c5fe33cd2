// Hostile or accidental input to the config parser: bounded in time and size, one clear problem each.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExecutorConfig } from "../../../src/api/executor-config.ts";
import { formatProblem } from "../../../src/api/problem.ts";
import { MAX_YAML_BYTES } from "../../../src/api/yaml-source.ts";

const HEAD = `operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
l1_chain: { rpc_url: "http://127.0.0.1:8545", chain_id: 31337 }
`;

test("40,000 unknown keys (1 MiB): each gets its warning and line, in time linear in the document", () => {
  const n = 40_000;
  let text = HEAD;
  for (let i = 0; i < n; i++) text += `unknown_key_${i}: ${i}\n`;
  assert.ok(text.length < MAX_YAML_BYTES);
  const before = process.cpuUsage();
  const { config, problems } = parseExecutorConfig(text);
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000;
  assert.ok(config);
  assert.equal(problems.length, n);
  assert.deepEqual(problems.at(-1), {
    path: `unknown_key_${n - 1}`,
    line: n + 2,
    severity: "warning",
    message: `unknown key "unknown_key_${n - 1}"; this executor does not use it (known here: ${problems[0]!.message.split("known here: ")[1]}`,
  });
  // CPU time, not wall time, so that a busy machine does not fail the test. Searching the document once per
  // problem (for its line, for duplicate keys) costs 14 s of CPU for half this document and four times that for
  // all of it; one pass over it costs about 1.5 s. The bound is a tenth of the quadratic cost.
  assert.ok(cpuMs < 5_000, `took ${Math.round(cpuMs)} ms of CPU`);
});

test("a YAML alias bomb is one problem, not an exception", () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  const { config, problems } = parseExecutorConfig(`${levels.join("\n")}\n`);
  assert.equal(config, undefined);
  assert.deepEqual(problems.map(formatProblem), [
    "(yaml): uses more than 100 aliases (* references), which no config needs; write the values out",
  ]);
});

test("a document above 1 MiB is refused before it is parsed", () => {
  const { problems } = parseExecutorConfig(`${HEAD}# ${"x".repeat(MAX_YAML_BYTES)}\n`);
  assert.equal(problems.length, 1);
  assert.match(
    formatProblem(problems[0]!),
    /^\(document\): is \d+ bytes; an executor config may be at most 1048576 bytes \(1 MiB, a ConfigMap's limit\)$/,
  );
});

test("nesting deeper than any config is one problem", () => {
  const depth = 200_000;
  const { config, problems } = parseExecutorConfig(`x: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
  assert.equal(config, undefined);
  assert.equal(problems.length, 1, problems.map(formatProblem).join("\n"));
  assert.equal(problems[0]!.path, "(yaml)");
});
