// hourglass-executor: the executor sidecar. `validate` checks a config offline; `run` serves tasks.
// Exit codes: 0 success, 1 the config (or the run) failed, 2 usage errors.
import { basename } from "node:path";
import { loadExecutorConfigFile } from "../api/executor-config.ts";
import { errorsOf, formatProblem, type Problem, warningsOf } from "../api/problem.ts";
import { RUN_USAGE, runExecutorCommand } from "../executor/run-command.ts";
import { type Command, dispatchCommand, oneOf, parseFlags, runProgram, UsageError } from "./args.ts";

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

const OUTPUT_FORMATS = ["text", "json"] as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function validate(args: string[]): number {
  const flags = parseFlags(args, {
    config: { type: "string", short: "c" },
    output: { type: "string", short: "o", default: "text" },
  });
  if (!flags.config) throw new UsageError("--config FILE is required");
  const output = oneOf("output", flags.output, OUTPUT_FORMATS);
  const { config, problems } = loadExecutorConfigFile(flags.config);
  const errors = errorsOf(problems);
  const warnings = warningsOf(problems);
  if (output === "json") {
    const summary = config
      ? { deploymentMode: config.deployment_mode, avsCount: config.avs_config.supported_avs.length }
      : {};
    const json = { file: flags.config, valid: errors.length === 0, ...summary, errors, warnings };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const print = (p: Problem) => `${p.severity === "warning" ? "warning: " : ""}${formatProblem(p)}`;
    for (const problem of problems) process.stdout.write(`${print(problem)}\n`);
    const name = basename(flags.config);
    process.stdout.write(
      config
        ? `${name}: valid (${config.deployment_mode} mode, ${plural(config.avs_config.supported_avs.length, "AVS")}, ${plural(warnings.length, "warning")})\n`
        : `${name}: invalid (${plural(errors.length, "error")}, ${plural(warnings.length, "warning")})\n`,
    );
  }
  return errors.length === 0 ? 0 : 1;
}

const COMMANDS: Record<string, Command> = {
  validate: { usage: VALIDATE_USAGE, run: validate },
  run: { usage: `${RUN_USAGE}\n`, run: runExecutorCommand },
};

await runProgram("hourglass-executor", USAGE, () => dispatchCommand(USAGE, COMMANDS, process.argv.slice(2)));
