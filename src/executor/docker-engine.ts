// The Docker Engine API as docker mode uses it, through dockerode; DOCKER_HOST (and DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH) choose the engine, as for the docker CLI. Errors quote the engine.
import Docker from "dockerode";

/** What `docker inspect` says of a container, as the executor uses it. */
export interface ContainerInfo {
  running: boolean;
  status: string;
  exitCode: number;
  /** Container port ("9090/tcp") → the port on the host the engine published it on. */
  hostPorts: Record<string, number>;
  /** Network name → the container's IPv4 address on it. */
  addresses: Record<string, string>;
}

/**
 * One call per Engine API request, so that the caller decides the order and what to undo when one fails. `signal`
 * aborts the request (a pull, a create, a start stuck in the engine); removals take none, since they are what
 * undoes a start that was aborted.
 */
export interface DockerEngine {
  /** Finds the image locally or pulls it; throws naming the image. */
  ensureImage(reference: string, signal?: AbortSignal): Promise<void>;
  /** Creates the network unless it exists; true if this call created it. */
  ensureNetwork(name: string, signal?: AbortSignal): Promise<boolean>;
  /** Resolves with the new container's id; throws naming the container and its image. */
  createContainer(options: Docker.ContainerCreateOptions, signal?: AbortSignal): Promise<string>;
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** undefined once the container is gone. */
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerInfo | undefined>;
  /** The last lines of its stdout and stderr, as `docker logs --tail` shows them. */
  logsTail(id: string, lines: number, signal?: AbortSignal): Promise<string>;
  /** Removes it, stopped or not; a container already gone is not an error. */
  removeContainer(id: string): Promise<void>;
  removeNetwork(name: string): Promise<void>;
}

/** dockerode's option for `signal`, absent without one: an undefined key would reach the query string. */
function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string };
  return (e?.json?.message ?? e?.message ?? String(error)).trim();
}

/** A log buffer without a TTY is multiplexed: 8-byte frame headers (stream, 0, 0, 0, length) before each chunk. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length && buffer[at]! <= 2 && buffer.readUIntBE(at + 1, 3) === 0) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return at === 0 ? buffer.toString() : Buffer.concat(parts).toString();
}

/** What the executor uses of `docker inspect`'s answer: state, published ports and network addresses. */
export function containerInfo(inspect: Docker.ContainerInspectInfo): ContainerInfo {
  const hostPorts: Record<string, number> = {};
  for (const [port, bindings] of Object.entries(inspect.NetworkSettings.Ports ?? {})) {
    const published = bindings?.find((b) => b.HostPort);
    if (published) hostPorts[port] = Number(published.HostPort);
  }
  const addresses: Record<string, string> = {};
  for (const [name, network] of Object.entries(inspect.NetworkSettings.Networks ?? {})) {
    if (network.IPAddress) addresses[name] = network.IPAddress;
  }
  const { State } = inspect;
  return { running: State.Running, status: State.Status, exitCode: State.ExitCode, hostPorts, addresses };
}

/** The DockerEngine over dockerode, with errors that name the image or container and quote the engine. */
export function dockerEngine(docker: Docker = new Docker()): DockerEngine {
  return {
    async ensureImage(reference, signal) {
      try {
        // The Engine API's image inspect takes no signal in dockerode; it answers from the engine's own store.
        signal?.throwIfAborted();
        await docker.getImage(reference).inspect();
        return;
      } catch (error) {
        if (statusCode(error) !== 404) throw new Error(`image "${reference}": ${engineMessage(error)}`);
      }
      try {
        const stream = await docker.pull(reference, abortable(signal));
        await new Promise<void>((resolve, reject) =>
          docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
            const failed = error?.message ?? events?.find((e) => e.error)?.error;
            failed ? reject(new Error(failed)) : resolve();
          }),
        );
      } catch (error) {
        throw new Error(
          `image "${reference}" is not in the engine and could not be pulled: ${engineMessage(error)}`,
        );
      }
    },
    async ensureNetwork(name, signal) {
      const existing = await docker.listNetworks({ filters: { name: [name] }, ...abortable(signal) });
      if (existing.some((n) => n.Name === name)) return false;
      await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        ...abortable(signal),
      });
      return true;
    },
    async createContainer(options, signal) {
      try {
        return (await docker.createContainer({ ...options, ...abortable(signal) })).id;
      } catch (error) {
        throw new Error(
          `creating container ${options.name} from "${options.Image}": ${engineMessage(error)}`,
        );
      }
    },
    async startContainer(id, signal) {
      await docker
        .getContainer(id)
        .start(abortable(signal))
        .catch((error: unknown) => {
          throw new Error(`starting container ${id.slice(0, 12)}: ${engineMessage(error)}`);
        });
    },
    async inspectContainer(id, signal) {
      try {
        return containerInfo(await docker.getContainer(id).inspect(abortable(signal)));
      } catch (error) {
        if (statusCode(error) === 404) return undefined;
        throw error;
      }
    },
    async logsTail(id, lines, signal) {
      const buffer = (await docker.getContainer(id).logs({
        stdout: true,
        stderr: true,
        tail: lines,
        follow: false,
        ...abortable(signal),
      })) as unknown as Buffer;
      return demuxLogs(Buffer.from(buffer)).trimEnd();
    },
    async removeContainer(id) {
      await docker
        .getContainer(id)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (statusCode(error) !== 404) throw error;
        });
    },
    async removeNetwork(name) {
      await docker
        .getNetwork(name)
        .remove()
        .catch((error: unknown) => {
          if (statusCode(error) !== 404) throw error;
        });
    },
  };
}
