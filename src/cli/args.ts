// Flags and commands for the project's programs, on top of node:util parseArgs. Every mistake on the command line
// becomes a UsageError, which the program reports with its usage text and exit code 2, as Unix tools do.
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

/** The exit code of a command-line mistake, as Unix tools use it. */
export const USAGE_EXIT_CODE = 2;

/** A command-line mistake: the program prints it with its usage text and exits 2. */
export class UsageError extends Error {
  /** The usage text to print with the message; the program's own when absent. */
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/**
 * A mistake in the environment a program was started with (`LOG_LEVEL=verbose`): reported as one line naming the
 * variable and the fix, exit code 2 like a usage error, without the usage text (the command line was right).
 */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvironmentError";
  }
}

/** A command of a program such as `hourglass-executor validate`: its --help text and what runs it. */
export interface Command {
  usage: string;
  run(args: string[]): number | Promise<number>;
}

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/**
 * Parses `args` as flags only (no positionals), with `--help`/`-h` added. Unknown flags, missing values and stray
 * arguments throw UsageError.
 */
export function parseFlags<const Options extends ParseArgsOptionsConfig>(args: string[], options: Options) {
  try {
    return parseArgs({ args, options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals: false })
      .values;
  } catch (err) {
    // parseArgs signals every command-line mistake with an ERR_PARSE_ARGS_* code.
    if (String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError((err as Error).message);
    }
    throw err;
  }
}

/** `value` when it is one of `allowed`; else a UsageError naming the flag and the choices. */
export function oneOf<const Allowed extends string>(
  flag: string,
  value: string,
  allowed: readonly Allowed[],
): Allowed {
  if ((allowed as readonly string[]).includes(value)) return value as Allowed;
  throw new UsageError(`--${flag}: "${value}" is not one of ${allowed.join(", ")}`);
}

/** A whole number from `min` to `max` named by a flag; else a UsageError naming the flag, `what` it must be and the range. */
export function integerFlag(
  flag: string,
  text: string,
  range: { min: number; max?: number },
  what: string,
): number {
  const value = Number(text);
  if (/^\d+$/.test(text) && value >= range.min && (range.max === undefined || value <= range.max))
    return value;
  const give =
    range.max === undefined
      ? `a whole number, ${range.min} or more`
      : `a number from ${range.min} to ${range.max}`;
  throw new UsageError(`--${flag}: "${text}" is not ${what}; give ${give}`);
}

/** The port a flag names; 0 picks a free port. */
export function portFlag(flag: string, text: string): number {
  return integerFlag(flag, text, { min: 0, max: 65535 }, "a port");
}

function asksForHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

/**
 * Runs the command named by argv[0]. `help`, `--help` and `-h` print `usage`; `<command> --help` prints the
 * command's. A command's UsageError carries the command's usage.
 */
export async function dispatchCommand(
  usage: string,
  commands: Readonly<Record<string, Command>>,
  argv: readonly string[],
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) throw new UsageError("a command is required");
  if (name === "help" || asksForHelp([name])) {
    process.stdout.write(usage);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command)
    throw new UsageError(`unknown command "${name}"; use one of ${Object.keys(commands).join(", ")}`);
  if (asksForHelp(args)) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof UsageError && err.usage === undefined)
      throw new UsageError(err.message, command.usage);
    throw err;
  }
}

/**
 * Runs a program's main and sets the exit code from its result. A UsageError prints `program: message` and the
 * usage text on stderr and exits 2, an EnvironmentError only the message; anything else propagates, so a bug
 * still shows its stack.
 */
export async function runProgram(
  program: string,
  usage: string,
  main: () => number | Promise<number>,
): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (err) {
    if (err instanceof EnvironmentError) process.stderr.write(`${program}: ${err.message}\n`);
    else if (err instanceof UsageError)
      process.stderr.write(`${program}: ${err.message}\n\n${err.usage ?? usage}`);
    else throw err;
    process.exitCode = USAGE_EXIT_CODE;
  }
}
