// An executor config read from disk: what can go wrong with the file itself (missing, a directory, unreadable, too
// large) is one problem on --config, never an exception; the key files the config names are looked at too, since a
// key that others may read is a key that others may have.
import { readFileSync, statSync } from "node:fs";
import { type ParsedExecutorConfig, parseExecutorConfig } from "./executor-config.ts";
import type { ExecutorConfig } from "./executor-config-model.ts";
import { error, type Problem, warning } from "./problem.ts";
import { sizeProblem } from "./yaml-source.ts";

/** The message for a --config path that does not exist, as the troubleshooting guide quotes it. */
export const CONFIG_FILE_NOT_FOUND = "Config file not found";

const FLAG = "--config";

function fileProblem(path: string): Problem | undefined {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR"
      ? error(FLAG, `${CONFIG_FILE_NOT_FOUND}: ${path} (check the --config path)`)
      : error(FLAG, `cannot read ${path} (${code ?? (e as Error).message})`);
  }
  if (stats.isDirectory()) return error(FLAG, `${path} is a directory; give the config file itself`);
  if (!stats.isFile()) return error(FLAG, `${path} is not a regular file`);
  return sizeProblem(stats.size, FLAG);
}

/** Reads and parses `path`; problems with the file itself are one problem on the --config flag. */
export function loadExecutorConfigFile(path: string): ParsedExecutorConfig {
  const problem = fileProblem(path);
  if (problem) return { problems: [problem] };
  let text: string;
  try {
    // Bounded again: the file may have grown since it was looked at.
    const bytes = readFileSync(path);
    const tooBig = sizeProblem(bytes.length, FLAG);
    if (tooBig) return { problems: [tooBig] };
    text = bytes.toString("utf8");
  } catch (e) {
    return { problems: [error(FLAG, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`)] };
  }
  return parseExecutorConfig(text, keyFileProblems);
}

/** Each key file the config names: a warning when it is not here, or when others than its owner may read it. */
export function keyFileProblems(config: ExecutorConfig): Problem[] {
  const { operatorPrivateKey, signingKeys } = config.operator;
  const files = new Map<string, string>();
  for (const ref of [operatorPrivateKey, signingKeys.ecdsa, signingKeys.bls]) {
    const file =
      ref && ("privateKeyFile" in ref ? (ref.privateKeyFile ?? ref.keystoreFile) : ref.keystoreFile);
    if (ref && file !== undefined && !files.has(file)) files.set(file, ref.path);
  }
  return [...files].flatMap(([file, at]) => {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (e) {
      return [
        warning(
          at,
          `key file ${file} cannot be read here (${(e as NodeJS.ErrnoException).code}); it must exist where the executor runs`,
        ),
      ];
    }
    return (mode & 0o077) === 0
      ? []
      : [
          warning(
            at,
            `key file ${file} may be read by others than its owner (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); chmod 600 ${file}`,
          ),
        ];
  });
}
