// `make dev MODE=docker`: no cluster. A private Docker Engine API (podman's, as the tests run it: private storage,
// remote registries blocked, networks on 198.18.16.0/20, nothing forwarded out), the sample performer's image
// imported into it, and the executor in docker mode, which runs the performer as a container on hourglass-network
// and answers one task through it. Then `docker ps -a` and `docker logs` show the container as the guide expects.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { LOCAL_DIR } from "../../test/controlplane/cli.ts";
import type { NodeProcess } from "../../test/controlplane/operator-process.ts";
import { importPerformerImage } from "../../test/support/performer-image.ts";
import {
  type PodmanEngineRecord,
  podmanEnv,
  startPodmanEngine,
  stopPodmanEngine,
} from "../../test/support/podman-engine.ts";
import { DEV_PERFORMER_NETWORK, demoTask, startDevAvs } from "./avs.ts";

export const DOCKER_DIR = join(LOCAL_DIR, "dev-docker");
/** The running engine's teardown record, for `make dev-down` after `make dev-up MODE=docker`. */
export const ENGINE_RECORD = join(DOCKER_DIR, "engine.json");
const ENGINE_DIR = join(DOCKER_DIR, "engine");
const AVS_DIR = join(DOCKER_DIR, "avs");
const LOGS = join(DOCKER_DIR, "logs");
const ENV_FILE = join(DOCKER_DIR, "env.sh");
const DOCKER_CLI = "/usr/local/bin/docker";

function engineRecord(): PodmanEngineRecord | undefined {
  return existsSync(ENGINE_RECORD)
    ? (JSON.parse(readFileSync(ENGINE_RECORD, "utf8")) as PodmanEngineRecord)
    : undefined;
}

/** Tears down the engine of `record` (else the one a detached start recorded), with every container and network
 * in it and what it did to the host; the executor is to be stopped first, so that it removes its own. */
export async function downDocker(record = engineRecord()): Promise<void> {
  if (record) await stopPodmanEngine(record);
  await rm(ENGINE_RECORD, { force: true });
  await rm(ENV_FILE, { force: true });
}

/** The docker CLI when it is installed, else podman's own, both pointed at the private engine. */
function engineCli(dockerHost: string): (args: string[]) => Promise<string> {
  const run = promisify(execFile);
  const [command, env] = existsSync(DOCKER_CLI)
    ? [DOCKER_CLI, { ...process.env, DOCKER_HOST: dockerHost }]
    : ["podman", podmanEnv(ENGINE_DIR)];
  const name = command === DOCKER_CLI ? "docker" : "podman";
  return (args) =>
    run(command, args, { env }).then(
      (r) => `$ ${name} ${args.join(" ")}\n${r.stdout}${r.stderr}`,
      (e: { stdout?: string; stderr?: string }) =>
        `$ ${name} ${args.join(" ")}\n${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
}

/** For a shell beside `make dev-up MODE=docker`: `. .local/dev-docker/env.sh; docker ps; podman ps`. */
function envScript(dockerHost: string): string {
  const env = podmanEnv(ENGINE_DIR);
  return `export DOCKER_HOST=${dockerHost}\nexport CONTAINERS_CONF=${env.CONTAINERS_CONF}\nexport CONTAINERS_STORAGE_CONF=${env.CONTAINERS_STORAGE_CONF}\n`;
}

export async function upDocker(
  detach: boolean,
  signal: AbortSignal,
  hooks: {
    /** Called as soon as the engine runs, so that a later failure or Ctrl-C still tears it down. */
    onEngine(record: PodmanEngineRecord): void;
    onProcesses(processes: NodeProcess[]): Promise<void>;
    say(line: string): void;
  },
): Promise<void> {
  const { say } = hooks;
  if (engineRecord()) {
    throw new Error(
      `a docker-mode dev environment is already running (${ENGINE_RECORD}): \`make dev-down\` stops it`,
    );
  }
  await mkdir(LOGS, { recursive: true });
  say("starting a private Docker Engine API (podman system service)...");
  const t0 = Date.now();
  const engine = await startPodmanEngine(ENGINE_DIR, { detached: detach });
  hooks.onEngine(engine.record);
  await writeFile(ENGINE_RECORD, JSON.stringify(engine.record));
  await writeFile(ENV_FILE, envScript(engine.dockerHost));
  say(`engine: DOCKER_HOST=${engine.dockerHost} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  signal.throwIfAborted();
  const t1 = Date.now();
  const image = await importPerformerImage(engine, "dev");
  say(
    `performer image ${image.repository}:${image.tag} imported in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
  );
  signal.throwIfAborted();
  const t2 = Date.now();
  const avs = await startDevAvs({
    dir: AVS_DIR,
    logs: LOGS,
    mode: { kind: "docker", dockerHost: engine.dockerHost, image },
    detached: detach,
  });
  await hooks.onProcesses(avs.processes);
  for (const line of avs.summary) say(line);
  for (const line of await demoTask(avs, signal)) say(line);
  say(`executor start to first answered task: ${((Date.now() - t2) / 1000).toFixed(1)} s`);
  const cli = engineCli(engine.dockerHost);
  say(`\n${await cli(["ps", "-a"])}`);
  const names = (
    await promisify(execFile)("podman", ["ps", "--format", "{{.Names}}"], { env: engine.env })
  ).stdout
    .split("\n")
    .filter((n) => n.startsWith("avs-performer-"));
  for (const name of names) say(await cli(["logs", "--tail", "5", name]));
  say(await cli(["network", "ls"]));
  say(`docker/podman CLI: . ${ENV_FILE}; docker ps; docker logs <name>   (network ${DEV_PERFORMER_NETWORK})`);
  say(`logs: ${LOGS}`);
}
