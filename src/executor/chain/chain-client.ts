// Reads from the L1 chain through viem: each call has a timeout, is retried with backoff while the RPC does not
// answer, honours an AbortSignal, and fails with an error naming the RPC, the contract and the call. The client
// also says whether the RPC answers (for /ready): a probe keeps asking while it does not, so readiness comes
// back by itself, and while it is down a task gets one attempt instead of the retries.
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Abi,
  BaseError,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  createPublicClient,
  HttpRequestError,
  http,
  type PublicClient,
  TimeoutError,
} from "viem";
import { exponentialDelayMs, jittered } from "../../kube/backoff.ts";
import { abortable } from "../../kube/deadline.ts";
import type { ContractName, CoreContracts } from "./contract-addresses.ts";

/** Which L1 RPC and contracts a ChainClient reads, and how long and how often it tries. */
export interface ChainClientOptions {
  rpcUrl: string;
  chainId: number;
  contracts: CoreContracts;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Retries after the first attempt while the RPC does not answer (default 2). */
  retries?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** Why a chain read failed: `unreachable` when the RPC did not answer (try later), otherwise the call itself failed. */
export class ChainCallError extends Error {
  /** True when the RPC did not answer, so that the task is refused as unavailable rather than as wrong. */
  readonly unreachable: boolean;
  constructor(message: string, unreachable: boolean, cause?: unknown) {
    super(message, { cause });
    this.unreachable = unreachable;
  }
}

function isUnreachable(error: unknown): boolean {
  if (error instanceof BaseError) {
    return Boolean(error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError));
  }
  return error instanceof TypeError; // fetch's "fetch failed"
}

function shortReason(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return (error as Error)?.message ?? String(error);
}

function describeArgs(args: readonly unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "bigint") return a.toString();
      const text = JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    })
    .join(", ");
}

/** Per read: the block to read the state at, and a signal that abandons it. */
export interface ReadOptions {
  /** Read the state at this block (0 or undefined: the latest). */
  blockNumber?: bigint;
  signal?: AbortSignal;
}

/** Reads the EigenLayer contracts on L1 with timeouts, retries and errors that name the call, and tracks
 * whether the RPC answers. */
export class ChainClient {
  /** The L1 JSON-RPC endpoint, named in errors and /ready. */
  readonly rpcUrl: string;
  /** The L1 chain's id, named when a contract has no address on it. */
  readonly chainId: number;
  /** The EigenLayer contracts' addresses on this chain, overrides applied. */
  readonly contracts: CoreContracts;
  readonly #client: PublicClient;
  readonly #retries: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  #reachable = false;
  #lastError = "not contacted yet";

  constructor(options: ChainClientOptions) {
    this.rpcUrl = options.rpcUrl;
    this.chainId = options.chainId;
    this.contracts = options.contracts;
    this.#retries = options.retries ?? 2;
    this.#backoff = options.backoff ?? { initialMs: 100, maxMs: 1_000 };
    // JSON-RPC batching: the reads a task makes at once go out as one HTTP request.
    this.#client = createPublicClient({
      transport: http(options.rpcUrl, {
        timeout: options.timeoutMs ?? 5_000,
        retryCount: 0,
        batch: { wait: 0 },
      }),
    });
  }

  /** Whether the RPC answered the last request made of it. */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** Why the RPC last failed to answer, for /ready while it is unreachable. */
  get lastError(): string {
    return this.#lastError;
  }

  /** A contract's address; throws naming the contract when none is known for this chain. */
  address(name: ContractName): `0x${string}` {
    const address = this.contracts[name];
    if (!address) {
      throw new ChainCallError(
        `${name}: no address is known for chain ${this.chainId}; set it with overrideContracts or use a chain with EigenLayer's contracts`,
        false,
      );
    }
    return address as `0x${string}`;
  }

  /** eth_chainId, checked against the configured chain id. */
  async checkChain(signal?: AbortSignal): Promise<void> {
    const chainId = await this.#attempt("eth_chainId", () => this.#client.getChainId(), signal);
    if (chainId !== this.chainId) {
      // Reads from another chain would be answers about other contracts: as bad as no answer.
      this.#reachable = false;
      this.#lastError = `L1 RPC ${this.rpcUrl} serves chain ${chainId}, not l1Chain.chainId ${this.chainId}; fix l1Chain.rpcUrl or l1Chain.chainId`;
      throw new ChainCallError(this.#lastError, false);
    }
  }

  /** Calls a view or pure function of a contract, with timeout, retries while unreachable, and an error
   * naming the call. */
  async read<
    const abi extends Abi,
    name extends ContractFunctionName<abi, "pure" | "view">,
    const args extends ContractFunctionArgs<abi, "pure" | "view", name>,
  >(
    contract: { name: string; address: `0x${string}`; abi: abi },
    functionName: name,
    args: args,
    options: ReadOptions = {},
  ): Promise<ContractFunctionReturnType<abi, "pure" | "view", name, args>> {
    const block = options.blockNumber ? ` at block ${options.blockNumber}` : "";
    const call = `${contract.name} (${contract.address}).${functionName}(${describeArgs(args as readonly unknown[])})${block}`;
    return this.#attempt(
      call,
      () =>
        // biome-ignore lint/suspicious/noExplicitAny: viem's overloads cannot follow the generic parameters through.
        (this.#client.readContract as any)({
          address: contract.address,
          abi: contract.abi,
          functionName,
          args,
          ...(options.blockNumber ? { blockNumber: options.blockNumber } : {}),
        }),
      options.signal,
    );
  }

  async #attempt<T>(call: string, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // While the RPC is known to be down, one attempt: the task fails fast and the probe finds the way back.
    const attempts = this.#reachable ? this.#retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        // viem takes no signal per request (they share a batch): the caller is released, the request times out.
        const result = await abortable(request(), signal);
        this.#reachable = true;
        return result;
      } catch (error) {
        // The caller gave up: that says nothing of the RPC.
        if (signal?.aborted && error === signal.reason) throw error;
        if (!isUnreachable(error)) {
          this.#reachable = true;
          throw new ChainCallError(
            `L1 RPC ${this.rpcUrl}: ${call} failed: ${shortReason(error)}`,
            false,
            error,
          );
        }
        this.#reachable = false;
        this.#lastError = `L1 RPC ${this.rpcUrl} does not answer (${shortReason(error)})`;
        if (attempt >= attempts) {
          throw new ChainCallError(
            `L1 RPC ${this.rpcUrl} does not answer ${call} after ${attempt} attempt(s): ${shortReason(error)}`,
            true,
            error,
          );
        }
        await sleep(
          jittered(exponentialDelayMs(attempt, this.#backoff.initialMs, this.#backoff.maxMs), 0.5),
          undefined,
          {
            signal,
          },
        );
      }
    }
  }

  /** Asks the RPC every `intervalMs` while it does not answer (and now and then when it does); `onUp` runs
   * each time it answers after not answering. Returns the stop function. */
  watch(intervalMs: number, onUp: () => void = () => {}): () => void {
    const stop = new AbortController();
    const loop = async () => {
      while (!stop.signal.aborted) {
        const wasReachable = this.#reachable;
        try {
          await this.checkChain(stop.signal);
          if (!wasReachable) onUp();
        } catch {
          // Recorded in #reachable / #lastError; the next round tries again.
        }
        try {
          await sleep(this.#reachable ? intervalMs * 5 : intervalMs, undefined, { signal: stop.signal });
        } catch {
          return;
        }
      }
    };
    void loop();
    return () => stop.abort();
  }
}
