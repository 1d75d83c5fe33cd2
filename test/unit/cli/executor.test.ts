// hourglass-executor as a user runs it: a real process, its output and its exit code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");
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
  assert.equal(
    run.stdout,
    "warning: operator.ecdsa_key_file (line 5): key file /etc/hourglass/operator/ecdsa.key cannot be read here (ENOENT); it must exist where the executor runs\n" +
      "kubernetes.yaml: valid (snake_case, kubernetes mode, 2 AVSs, 1 warning)\n",
  );
});

test("validate: a key file that others may read is a warning naming the mode and the fix", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "validate-key-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "operator.key");
  await writeFile(key, "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n");
  await chmod(key, 0o644);
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    `operator:\n  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"\n  ecdsa_key_file: ${key}\n` +
      'l1_chain: { rpc_url: "http://127.0.0.1:8545", chain_id: 31337 }\n',
  );
  const loose = await executor("validate", "--config", config);
  assert.equal(loose.code, 0);
  assert.equal(
    loose.stdout.split("\n")[0],
    `warning: operator.ecdsa_key_file (line 3): key file ${key} may be read by others than its owner (mode 0644); chmod 600 ${key}`,
  );
  await chmod(key, 0o600);
  const tight = await executor("validate", "--config", config);
  assert.equal(tight.stdout, "config.yaml: valid (snake_case, docker mode, 0 AVSs, 0 warnings)\n");
});

test("validate over a folder: one verdict line per file, exit 1 when one is invalid", async () => {
  const run = await executor("validate", "--config", fixtures);
  assert.equal(run.code, 1);
  const verdicts = run.stdout.trimEnd().split("\n");
  assert.deepEqual(
    verdicts.map((line) => line.replace(/ \(.*$/, "")),
    [
      "camel-docker.yaml: valid",
      "camel-kubernetes.yaml: valid",
      "docker.yaml: valid",
      "kubernetes.yaml: valid",
      "many-problems.yaml: invalid",
      "missing-kubernetes.yaml: invalid",
      "mixed-dialects.yaml: invalid",
      "mixed-modes.yaml: invalid",
      "syntax-error.yaml: invalid",
    ],
  );
  assert.ok(
    verdicts.includes(
      'mixed-modes.yaml: invalid (1 error, 0 warnings): avs_config.supported_avs[1].deployment_mode (line 13): mixed deployment modes not supported: "docker" here, "kubernetes" at deployment_mode (an AVS that names none runs in docker mode); one executor runs all its performers one way: use the same deployment_mode everywhere',
    ),
    run.stdout,
  );
});

test("validate: what is wrong with the file itself is one line and exit 1, never a stack trace", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "validate-files-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const unreadable = join(dir, "unreadable.yaml");
  await copyFile(join(fixtures, "docker.yaml"), unreadable);
  await chmod(unreadable, 0o000);
  const bomb = join(dir, "bomb.yaml");
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  await writeFile(bomb, `${levels.join("\n")}\n`);
  const big = join(dir, "big.yaml");
  await writeFile(big, `# ${"x".repeat(2 * 1024 * 1024)}\n`);
  const sub = join(dir, "sub");
  await mkdir(join(sub, "inner"), { recursive: true });
  const cases: [string, RegExp][] = [
    [unreadable, /^--config: cannot read .*unreadable\.yaml \(EACCES\)\nunreadable\.yaml: invalid/],
    [bomb, /^\(yaml\): uses more than 100 aliases .*\nbomb\.yaml: invalid \(1 error, 0 warnings\)\n$/],
    [
      big,
      /^--config: is 2097155 bytes; an executor config may be at most 1048576 bytes \(1 MiB, a ConfigMap's limit\)\n/,
    ],
  ];
  // Running as root reads any file, whatever its mode.
  if (process.getuid?.() === 0) cases.shift();
  for (const [file, expected] of cases) {
    const run = await executor("validate", "--config", file);
    assert.equal(run.code, 1, file);
    assert.equal(run.stderr, "", file);
    assert.match(run.stdout, expected);
  }
  const empty = await executor("validate", "--config", sub);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /is a folder with no \.yaml or \.yml file in it/);
  const ran = await executor("run", "--config", sub);
  assert.equal(ran.code, 1);
  assert.match(ran.stderr, /--config: .*sub is a directory; give the config file itself/);
});

test("validate: an invalid config exits 1 and prints every problem as path (line N): message", async () => {
  const run = await executor("validate", "--config", join(fixtures, "many-problems.yaml"));
  assert.equal(run.code, 1);
  const out = run.stdout.trimEnd().split("\n");
  assert.equal(out.length, 17);
  assert.equal(out[1], 'warning: grpc_prot (line 2): unknown key "grpc_prot"; did you mean "grpc_port"?');
  assert.ok(out.includes("metrics_port (line 3): must be an integer from 1 to 65535 (got 70000)"));
  assert.equal(out.at(-1), "many-problems.yaml: invalid (15 errors, 1 warning)");
});

test("validate --output json: the same findings for machines", async () => {
  const run = await executor("validate", "--config", join(fixtures, "mixed-modes.yaml"), "--output", "json");
  assert.equal(run.code, 1);
  const report = JSON.parse(run.stdout);
  assert.equal(report.valid, false);
  assert.deepEqual(report.warnings, []);
  assert.equal(report.errors.length, 1);
  assert.equal(report.errors[0].path, "avs_config.supported_avs[1].deployment_mode");
  assert.equal(report.errors[0].line, 13);
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
    [
      ["run", "--config", "x", "--signing-threads", "17"],
      /--signing-threads: "17" is not a number of threads; give a number from 0 to 16/,
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
