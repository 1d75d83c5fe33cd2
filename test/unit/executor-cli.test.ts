// hourglass-executor as a user runs it: a real process, its output and its exit code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const fixtures = join(root, "test", "fixtures", "executor-config");

function executor(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return executorWith({}, ...args);
}

function executorWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(root, "node_modules", ".bin", "node"),
      [join(root, "src", "cli", "executor.ts"), ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

test("validate: a valid config exits 0 with a one-line summary", async () => {
  const run = await executor("validate", "--config", join(fixtures, "kubernetes.yaml"));
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "kubernetes.yaml: valid (kubernetes mode, 2 AVSs, 0 warnings)\n");
});

test("validate: an invalid config exits 1 and prints every problem as path (line N): message", async () => {
  const run = await executor("validate", "--config", join(fixtures, "many-problems.yaml"));
  assert.equal(run.code, 1);
  const out = run.stdout.trimEnd().split("\n");
  assert.equal(out.length, 12);
  assert.equal(out[0], 'warning: grpc_prot (line 2): unknown key "grpc_prot"; did you mean "grpc_port"?');
  assert.ok(out.includes("metrics_port (line 3): must be an integer from 1 to 65535 (got 70000)"));
  assert.equal(out.at(-1), "many-problems.yaml: invalid (10 errors, 1 warning)");
});

test("validate --output json: the same findings for machines", async () => {
  const run = await executor("validate", "--config", join(fixtures, "mixed-modes.yaml"), "--output", "json");
  assert.equal(run.code, 1);
  const report = JSON.parse(run.stdout);
  assert.equal(report.valid, false);
  assert.deepEqual(report.warnings, []);
  assert.equal(report.errors.length, 1);
  assert.equal(report.errors[0].path, "avs_config.supported_avs[1].deployment_mode");
  assert.equal(report.errors[0].line, 12);
  assert.match(report.errors[0].message, /^mixed deployment modes not supported/);
});

test("validate: a missing file is reported with the guide's words, exit 1", async () => {
  const run = await executor("validate", "--config", "/nonexistent.yaml");
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^--config: Config file not found: \/nonexistent\.yaml/);
});

test("usage errors exit 2, say what is wrong and print the usage", async () => {
  const cases: [string[], RegExp][] = [
    [[], /a command is required/],
    [["validate"], /--config FILE is required/],
    [["validate", "--config", "x", "--output", "xml"], /--output: "xml" is not one of text, json/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["validate", "--bogus"], /--bogus/],
    [["run"], /--config FILE is required/],
    [
      ["run", "--config", "x", "--grpc-port", "99999"],
      /--grpc-port: "99999" is not a port; give a number from 0 to 65535/,
    ],
    [
      ["run", "--config", "x", "--max-in-flight", "0"],
      /--max-in-flight: "0" is not a number of tasks; give a whole number, 1 or more/,
    ],
    [["run", "--config", "x", "stray"], /stray/],
  ];
  const runs = await Promise.all(cases.map(([args]) => executor(...args)));
  for (const [i, [args, message]] of cases.entries()) {
    const run = runs[i]!;
    assert.equal(run.code, 2, `hourglass-executor ${args.join(" ")}`);
    assert.match(run.stderr, /^hourglass-executor: .+\n\nUsage: hourglass-executor/);
    assert.match(run.stderr, message);
  }
});

test("--help on the program and on each command", async () => {
  const program = await executor("--help");
  assert.equal(program.code, 0);
  assert.match(program.stdout, /^Usage: hourglass-executor <command>/);
  const validate = await executor("validate", "--help");
  assert.equal(validate.code, 0);
  assert.match(validate.stdout, /--output, -o FORMAT/);
  const run = await executor("run", "--help");
  assert.equal(run.code, 0);
  assert.match(run.stdout, /--config FILE/);
});

test("run refuses every config that validate refuses, with the same problems, before starting anything", async () => {
  for (const name of [
    "mixed-modes.yaml",
    "missing-kubernetes.yaml",
    "many-problems.yaml",
    "syntax-error.yaml",
  ]) {
    const file = join(fixtures, name);
    const validated = await executor("validate", "--config", file);
    const ran = await executor("run", "--config", file);
    assert.equal(validated.code, 1, name);
    assert.equal(ran.code, 1, name);
    const errors = validated.stdout
      .split("\n")
      .filter((line) => line && !line.startsWith("warning: ") && !line.startsWith(`${name}: `));
    assert.ok(errors.length > 0, name);
    for (const line of errors)
      assert.ok(
        ran.stderr.includes(line) || ran.stdout.includes(line),
        `${name}: run did not report ${line}`,
      );
  }
});

test("run with LOG_LEVEL=verbose: one line naming the variable and the levels, exit 2, no stack", async () => {
  const run = await executorWith({ LOG_LEVEL: "verbose" }, "run", "--config", join(fixtures, "docker.yaml"));
  assert.equal(run.code, 2);
  assert.equal(
    run.stderr,
    'hourglass-executor: LOG_LEVEL: unknown level "verbose"; use one of trace, debug, info, warn, error, fatal\n',
  );
});
