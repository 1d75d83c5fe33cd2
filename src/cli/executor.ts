// hourglass-executor: the executor sidecar. `validate` checks a config offline; `run` serves tasks.
// Exit codes: 0 success, 1 the config (or the run) failed, 2 usage errors.
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { deploymentModeOf, loadExecutorConfigFile } from "../api/executor-config.ts";
import { errorsOf, formatProblem, type Problem, warningsOf } from "../api/problem.ts";
import { RUN_USAGE, runExecutorCommand } from "../executor/run-command.ts";

const USAGE = `Usage: hourglass-executor <command> [flags]

Commands:
  validate --config FILE [--output text|json]   check an executor config; every problem as "path (line N): message"
  run --config FILE [flags]                     serve ExecutorService (gRPC), /health, /ready and /metrics

Run "hourglass-executor <command> --help" for a command's flags.
`;

const VALIDATE_USAGE = `Usage: hourglass-executor validate --config FILE [--output text|json]

Checks an executor config without starting anything: the YAML, every key's type and range, deployment_mode
consistency, the kubernetes section, resource quantities, durations. Reports every problem at once; unknown keys
are warnings with a suggestion. Exit 0 when valid (warnings allowed), 1 when invalid, 2 on usage errors.
  --config, -c FILE    the config file
  --output, -o FORMAT  text (default) or json
`;

class UsageError extends Error {}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function validate(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      output: { type: "string", short: "o", default: "text" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(VALIDATE_USAGE);
    return 0;
  }
  if (!values.config) throw new UsageError("validate: --config FILE is required");
  if (values.output !== "text" && values.output !== "json") {
    throw new UsageError(`--output: "${values.output}" is not a format; use text or json`);
  }
  const { config, problems } = loadExecutorConfigFile(values.config);
  const errors = errorsOf(problems);
  const warnings = warningsOf(problems);
  if (values.output === "json") {
    const summary = config
      ? { deploymentMode: deploymentModeOf(config), avsCount: config.avs_config.supported_avs.length }
      : {};
    const json = { file: values.config, valid: errors.length === 0, ...summary, errors, warnings };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const print = (p: Problem) => `${p.severity === "warning" ? "warning: " : ""}${formatProblem(p)}`;
    for (const problem of problems) process.stdout.write(`${print(problem)}\n`);
    const name = basename(values.config);
    process.stdout.write(
      config
        ? `${name}: valid (${deploymentModeOf(config)} mode, ${plural(config.avs_config.supported_avs.length, "AVS")}, ${plural(warnings.length, "warning")})\n`
        : `${name}: invalid (${plural(errors.length, "error")}, ${plural(warnings.length, "warning")})\n`,
    );
  }
  return errors.length === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case "validate":
      return validate(args);
    case "run":
      if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(`${RUN_USAGE}\n`);
        return 0;
      }
      return runExecutorCommand(args);
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(command ? `unknown command "${command}"` : "a command is required");
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // parseArgs reports unknown flags and missing values with ERR_PARSE_ARGS_* codes: usage errors too.
  const usage =
    err instanceof UsageError || String((err as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
  if (!usage) throw err;
  process.stderr.write(`hourglass-executor: ${(err as Error).message}\n\n${USAGE}`);
  process.exitCode = 2;
}
