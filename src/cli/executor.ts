// hourglass-executor: the executor sidecar. `validate` checks a config (or a folder of them) offline; `run` serves
// tasks. Exit codes: 0 success, 1 a config (or the run) failed, 2 usage errors.
import { type Dirent, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { ParsedExecutorConfig } from "../api/executor-config.ts";
import { loadExecutorConfigFile } from "../api/executor-config-file.ts";
import { errorsOf, formatProblem, type Problem, warningsOf } from "../api/problem.ts";
import { RUN_USAGE, runExecutorCommand } from "../executor/run-command.ts";
import { type Command, dispatchCommand, oneOf, parseFlags, runProgram, UsageError } from "./args.ts";

const USAGE = `Usage: hourglass-executor <command> [flags]

Commands:
  validate --config FILE|DIR [--output text|json]   check executor configs; every problem as "path (line N): message"
  run --config FILE [flags]                         serve ExecutorService (gRPC), /health, /ready and /metrics

Run "hourglass-executor <command> --help" for a command's flags.
`;

const VALIDATE_USAGE = `Usage: hourglass-executor validate --config FILE|DIR [--output text|json]

Checks an executor config without starting anything: the YAML, every key's type and range, what is required,
deployment-mode consistency, the kubernetes section, resource quantities, durations, key references. Both
dialects are read: Hourglass's camelCase (grpcPort, avsPerformers, l1Chain) and snake_case (grpc_port,
avs_config, l1_chain); a file mixing them is refused. Reports every problem at once; unknown keys are warnings
with a suggestion. Given a folder, checks each .yaml/.yml file in it and prints one verdict line per file.
Exit 0 when every config is valid (warnings allowed), 1 when one is invalid, 2 on usage errors.
  --config, -c PATH    the config file, or a folder of them
  --output, -o FORMAT  text (default) or json
`;

const OUTPUT_FORMATS = ["text", "json"] as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const printed = (p: Problem) => `${p.severity === "warning" ? "warning: " : ""}${formatProblem(p)}`;

function verdict(name: string, { config, problems }: ParsedExecutorConfig, withReasons: boolean): string {
  const errors = errorsOf(problems);
  const warnings = warningsOf(problems);
  if (config) {
    return `${name}: valid (${config.dialect}, ${config.deploymentMode} mode, ${plural(config.avs.length, "AVS")}, ${plural(warnings.length, "warning")})`;
  }
  const reasons = withReasons ? `: ${errors.map(formatProblem).join("; ")}` : "";
  return `${name}: invalid (${plural(errors.length, "error")}, ${plural(warnings.length, "warning")})${reasons}`;
}

function report(file: string, { config, problems }: ParsedExecutorConfig) {
  const summary = config
    ? { dialect: config.dialect, deploymentMode: config.deploymentMode, avsCount: config.avs.length }
    : {};
  return { file, valid: !!config, ...summary, errors: errorsOf(problems), warnings: warningsOf(problems) };
}

class FolderError extends Error {}

/** The config files of a folder, in name order; undefined when `path` is not a folder. */
function folderFiles(path: string): string[] | undefined {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    return undefined; // the loader says what is wrong with the path
  }
  if (!isFolder) return undefined;
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (e) {
    throw new FolderError(`--config: cannot list ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const files = entries
    .filter((entry) => !entry.isDirectory() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(path, entry.name))
    .sort();
  if (files.length === 0)
    throw new UsageError(`--config: ${path} is a folder with no .yaml or .yml file in it`);
  return files;
}

function validate(args: string[]): number {
  const flags = parseFlags(args, {
    config: { type: "string", short: "c" },
    output: { type: "string", short: "o", default: "text" },
  });
  if (!flags.config) throw new UsageError("--config FILE is required");
  const output = oneOf("output", flags.output, OUTPUT_FORMATS);
  let folder: string[] | undefined;
  try {
    folder = folderFiles(flags.config);
  } catch (e) {
    if (!(e instanceof FolderError)) throw e;
    process.stdout.write(`${e.message}\n`);
    return 1;
  }
  const results = (folder ?? [flags.config]).map((file) => ({ file, parsed: loadExecutorConfigFile(file) }));
  if (output === "json") {
    const reports = results.map(({ file, parsed }) => report(file, parsed));
    process.stdout.write(`${JSON.stringify(folder ? reports : reports[0], null, 2)}\n`);
  } else if (folder) {
    for (const { file, parsed } of results)
      process.stdout.write(`${verdict(basename(file), parsed, true)}\n`);
  } else {
    const { parsed } = results[0]!;
    for (const problem of parsed.problems) process.stdout.write(`${printed(problem)}\n`);
    process.stdout.write(`${verdict(basename(flags.config), parsed, false)}\n`);
  }
  return results.every(({ parsed }) => parsed.config) ? 0 : 1;
}

const COMMANDS: Record<string, Command> = {
  validate: { usage: VALIDATE_USAGE, run: validate },
  run: { usage: `${RUN_USAGE}\n`, run: runExecutorCommand },
};

await runProgram("hourglass-executor", USAGE, () => dispatchCommand(USAGE, COMMANDS, process.argv.slice(2)));
