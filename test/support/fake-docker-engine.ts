// A recording fake of the DockerEngine: `calls` lists every Engine API request in order ("create <name>",
// "start <id>", …); `containers` and `networks` are what the engine holds after them. A test makes one request
// fail (`failNext`), not answer until its signal aborts (`hangNext`), or a container exit (`exit`), as a real
// engine would.
import type { ContainerCreateOptions } from "dockerode";
import type { ContainerInfo, DockerEngine } from "../../src/executor/docker-engine.ts";

export interface FakeContainer {
  id: string;
  options: ContainerCreateOptions;
  running: boolean;
  exitCode: number;
  logs: string;
  info: Pick<ContainerInfo, "hostPorts" | "addresses">;
}

type Request = "ensureImage" | "ensureNetwork" | "create" | "start" | "inspect" | "remove" | "removeNetwork";

export class FakeDockerEngine implements DockerEngine {
  readonly calls: string[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly networks: Set<string>;
  readonly images: Set<string>;
  /** What the container's process prints before it exits, when `exitOnStart` says it does. */
  exitOnStart: { code: number; logs: string } | undefined;
  private failures = new Map<Request, string>();
  private hangs = new Set<Request>();
  private created = 0;

  constructor(init: { images?: string[]; networks?: string[] } = {}) {
    this.images = new Set(init.images ?? []);
    this.networks = new Set(init.networks ?? []);
  }

  /** The next request of this kind fails with the engine's `message`. */
  failNext(request: Request, message: string): void {
    this.failures.set(request, message);
  }

  /** The next request of this kind gets no answer until its signal aborts, then fails as an aborted request. */
  hangNext(request: Request): void {
    this.hangs.add(request);
  }

  /** The container's process ends, as `docker kill` would end it. */
  exit(id: string, code = 137): void {
    const container = this.containers.get(id);
    if (container) container.running = false;
    if (container) container.exitCode = code;
  }

  running(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.running);
  }

  private request(kind: Request, subject: string): void {
    this.calls.push(`${kind} ${subject}`);
    const failure = this.failures.get(kind);
    if (failure === undefined) return;
    this.failures.delete(kind);
    throw new Error(failure);
  }

  private async answer(kind: Request, signal: AbortSignal | undefined): Promise<void> {
    if (!this.hangs.delete(kind)) return;
    if (!signal) throw new Error(`${kind} was asked without a signal, so nothing can cancel it`);
    await new Promise<void>((_, reject) => {
      const abort = () =>
        reject(Object.assign(new Error("The operation was aborted"), { name: "AbortError" }));
      if (signal.aborted) abort();
      else signal.addEventListener("abort", abort, { once: true });
    });
  }

  async ensureImage(reference: string, signal?: AbortSignal): Promise<void> {
    this.request("ensureImage", reference);
    await this.answer("ensureImage", signal);
    if (!this.images.has(reference)) {
      throw new Error(`image "${reference}" is not in the engine and could not be pulled: not found`);
    }
  }

  async ensureNetwork(name: string): Promise<boolean> {
    this.request("ensureNetwork", name);
    if (this.networks.has(name)) return false;
    this.networks.add(name);
    return true;
  }

  async createContainer(options: ContainerCreateOptions, signal?: AbortSignal): Promise<string> {
    this.request("create", options.name!);
    await this.answer("create", signal);
    this.created += 1;
    const id = `c${this.created}`;
    const network = options.HostConfig?.NetworkMode;
    if (network && !this.networks.has(network)) throw new Error(`network ${network} not found`);
    this.containers.set(id, {
      id,
      options,
      running: false,
      exitCode: 0,
      logs: "",
      info: {
        hostPorts: { "9090/tcp": 40_000 + this.created },
        addresses: network ? { [network]: `198.18.16.${this.created + 1}` } : {},
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.request("start", id);
    const container = this.containers.get(id)!;
    if (this.exitOnStart) {
      container.exitCode = this.exitOnStart.code;
      container.logs = this.exitOnStart.logs;
      return;
    }
    container.running = true;
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    this.request("inspect", id);
    const c = this.containers.get(id);
    if (!c) return undefined;
    return { running: c.running, status: c.running ? "running" : "exited", exitCode: c.exitCode, ...c.info };
  }

  async logsTail(id: string): Promise<string> {
    return this.containers.get(id)?.logs ?? "";
  }

  async removeContainer(id: string): Promise<void> {
    this.request("remove", id);
    this.containers.delete(id);
  }

  async removeNetwork(name: string): Promise<void> {
    this.request("removeNetwork", name);
    this.networks.delete(name);
  }
}
