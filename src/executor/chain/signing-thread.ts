// A task's signature work is most of the executor's CPU per task: keccak-256 over the payload and over the
// output, the aggregator's signature recovered (or a BN254 pairing, tens of milliseconds in JavaScript), the
// result signed twice. On the event loop that also serves every gRPC call it would cap an executor at one core,
// so it runs on worker threads. This file is both sides: the pool the executor calls and, run as a worker, the
// loop that answers it.
import { isMainThread, parentPort, type Transferable, Worker } from "node:worker_threads";
import { type AggregatorSignedTask, aggregatorSignatureProblem } from "./aggregator-signature.ts";
import { g2FromSolidity, g2ToSolidity } from "./bn254.ts";
import { type DigestInput, localDigest, type SignedCurve } from "./certificate-digests.ts";
import type { OperatorSetKey } from "./chain-facts.ts";
import { type ResultSignatures, signBn254Result, signEcdsaResult } from "./result-signatures.ts";
import type { AuthFields } from "./task-message.ts";

/** Where a result's digest comes from: computed on the thread from the output with the verifier's domain
 * separator (once CertificateDigests' self-test passed), or as the chain answered it. */
export type DigestSource = { local: DigestInput & { domainSeparator: Uint8Array } } | { given: Uint8Array };

/** What one result's two signatures are made from. */
export interface SignRequest {
  curve: SignedCurve;
  key: Uint8Array | bigint;
  digest: DigestSource;
  auth: Omit<AuthFields, "resultSignature">;
}

/** An operator set key as it crosses to a thread: a G2 point loses its class in a structured clone, so it
 * travels as Solidity's coordinates. */
type KeyOnTheWire =
  | Extract<OperatorSetKey, { curve: "ecdsa" }>
  | { curve: "bn254"; publicKey: ReturnType<typeof g2ToSolidity>; socket: string };

type Job =
  | { kind: "check"; task: AggregatorSignedTask; operatorAddress: string; aggregatorKey: KeyOnTheWire }
  | ({ kind: "sign" } & SignRequest);
type Answer = { id: number; value?: unknown; error?: string };

function signedHere({ curve, key, digest, auth }: SignRequest): ResultSignatures {
  const bytes =
    "given" in digest ? digest.given : localDigest(curve, digest.local.domainSeparator, digest.local);
  return curve === "ecdsa"
    ? signEcdsaResult(key as Uint8Array, bytes, auth)
    : signBn254Result(key as bigint, bytes, auth);
}

function run(job: Job): unknown {
  if (job.kind === "check") {
    const wire = job.aggregatorKey;
    const key: OperatorSetKey =
      wire.curve === "bn254" ? { ...wire, publicKey: g2FromSolidity(wire.publicKey) } : wire;
    return aggregatorSignatureProblem(job.task, job.operatorAddress, key);
  }
  return signedHere(job);
}

function answer(id: number, job: Job): Answer {
  try {
    return { id, value: run(job) };
  } catch (error) {
    return { id, error: (error as Error).message };
  }
}

// Jobs come, and answers go, in batches: a message costs tens of microseconds on each side, as much as the
// work of a small task, so a busy executor's jobs of one event-loop turn travel together.
if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", (jobs: { id: number; job: Job }[]) => {
    port.postMessage(jobs.map(({ id, job }) => answer(id, job)));
  });
}

/** `bytes` in a buffer of their own, to be transferred: a Buffer is often a view of a larger one (the gRPC
 * message, Node's pool), which a structured clone would copy whole. */
function own(bytes: Uint8Array, transfer: Transferable[]): Uint8Array {
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}

function aborted(signal: AbortSignal): DOMException {
  return new DOMException(`signing thread: ${String(signal.reason)}`, "AbortError");
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** One worker, started on first use and again after it exits. */
class SigningWorker {
  #worker: Worker | undefined;
  readonly pending = new Map<number, Pending>();
  #outbox: { id: number; job: Job }[] = [];
  #transfer: Transferable[] = [];

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL(import.meta.url));
    worker.unref();
    worker.on("message", (answers: Answer[]) => {
      for (const { id, value, error } of answers) {
        const pending = this.pending.get(id);
        this.pending.delete(id);
        if (error !== undefined) pending?.reject(new Error(error));
        else pending?.resolve(value);
      }
      if (this.pending.size === 0) worker.unref();
    });
    worker.on("error", (error) => this.#failAll(error));
    worker.on("exit", (code) => {
      this.#worker = undefined;
      this.#failAll(new Error(`the signing thread exited (${code})`));
    });
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  call(id: number, job: Job, transfer: Transferable[], signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const worker = this.#start();
    return new Promise((resolve, reject) => {
      // The work itself cannot be stopped; a caller that goes away stops waiting, and the answer is dropped.
      const onAbort = () => {
        this.pending.delete(id);
        reject(aborted(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = (finish: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        finish();
      };
      this.pending.set(id, {
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      // Referenced while it works, so that a process waiting for the answer is not let exit.
      worker.ref();
      if (this.#outbox.length === 0) setImmediate(() => this.#flush());
      this.#outbox.push({ id, job });
      this.#transfer.push(...transfer);
    });
  }

  /** Posts the jobs of this event-loop turn as one message, to the worker running now (one that exited
   * meanwhile has failed the jobs it had). */
  #flush(): void {
    const worker = this.#start();
    const jobs = this.#outbox;
    const transfer = this.#transfer;
    this.#outbox = [];
    this.#transfer = [];
    worker.postMessage(jobs, transfer);
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
  }
}

/**
 * A pool of signing threads; each job goes to the thread with the fewest waiting. With none (the default),
 * ECDSA work runs on the calling thread: a few hundred microseconds, which a hand-off lengthens (waking a
 * thread and back twice per task: ~0.4 ms at concurrency 1 on two cores) and which only a spare core repays.
 * BN254 work, milliseconds, runs on a thread whatever the count. `close` ends them.
 */
export class SigningThreads {
  readonly #workers: SigningWorker[];
  readonly #inline: boolean;
  #next = 0;

  constructor(threads = 0) {
    this.#inline = threads === 0;
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => new SigningWorker());
  }

  /** Whether `curve` work runs on the calling thread: ECDSA work when there are no threads. */
  #here(curve: SignedCurve): boolean {
    return this.#inline && curve === "ecdsa";
  }

  #call<T>(job: Job, transfer: Transferable[], signal?: AbortSignal): Promise<T> {
    let least = this.#workers[0]!;
    for (const worker of this.#workers) if (worker.pending.size < least.pending.size) least = worker;
    return least.call(this.#next++, job, transfer, signal) as Promise<T>;
  }

  /** aggregatorSignatureProblem on a signing thread: undefined when the signature verifies, else why not. */
  checkAggregatorSignature(
    task: AggregatorSignedTask,
    operatorAddress: string,
    aggregatorKey: OperatorSetKey,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    if (this.#here(aggregatorKey.curve)) {
      return Promise.resolve(aggregatorSignatureProblem(task, operatorAddress, aggregatorKey));
    }
    const transfer: Transferable[] = [];
    const { task_id, aggregator_address, avs_address, operator_set_id, reference_timestamp } = task;
    const signed: AggregatorSignedTask = {
      task_id,
      aggregator_address,
      avs_address,
      operator_set_id,
      reference_timestamp,
      task_block_number: task.task_block_number,
      version: task.version,
      payload: own(task.payload, transfer),
      signature: own(task.signature, transfer),
    };
    const wire: KeyOnTheWire =
      aggregatorKey.curve === "bn254"
        ? { ...aggregatorKey, publicKey: g2ToSolidity(aggregatorKey.publicKey) }
        : aggregatorKey;
    return this.#call(
      { kind: "check", task: signed, operatorAddress, aggregatorKey: wire },
      transfer,
      signal,
    );
  }

  /** A result's two signatures (see result-signatures.ts), its digest computed on the thread when local. */
  async sign(request: SignRequest, signal?: AbortSignal): Promise<ResultSignatures> {
    if (this.#here(request.curve)) return signedHere(request);
    const transfer: Transferable[] = [];
    const { digest } = request;
    const source: DigestSource =
      "given" in digest ? digest : { local: { ...digest.local, output: own(digest.local.output, transfer) } };
    const signed = await this.#call<{ resultSignature: Uint8Array; authSignature: Uint8Array }>(
      { kind: "sign", ...request, digest: source },
      transfer,
      signal,
    );
    // Structured clone hands back Uint8Arrays.
    return {
      resultSignature: Buffer.from(signed.resultSignature),
      authSignature: Buffer.from(signed.authSignature),
    };
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.close()));
  }
}
