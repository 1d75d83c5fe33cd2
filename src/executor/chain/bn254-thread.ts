// The BN254 work of a task (a pairing check of the aggregator's signature, two scalar multiplications to sign)
// takes tens of milliseconds in JavaScript, too long for the event loop that routes every other task: it runs in
// a worker thread. This file is both sides: the pool the executor calls and, run as a worker, the loop that
// answers it.
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { bn254Verify, g1FromBytes, g2FromSolidity, hashToG1 } from "./bn254.ts";
import { signBn254Result } from "./result-signatures.ts";
import type { AuthFields } from "./task-message.ts";

type Job =
  | { kind: "sign"; secretKey: bigint; digest: Uint8Array; auth: Omit<AuthFields, "resultSignature"> }
  | {
      kind: "verify";
      signature: Uint8Array;
      digest: Uint8Array;
      publicKey: { X: [bigint, bigint]; Y: [bigint, bigint] };
    };
type Answer = { id: number; value?: unknown; error?: string };

function run(job: Job): unknown {
  if (job.kind === "sign") return signBn254Result(job.secretKey, job.digest, job.auth);
  return bn254Verify(g1FromBytes(job.signature), hashToG1(job.digest), g2FromSolidity(job.publicKey));
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", ({ id, job }: { id: number; job: Job }) => {
    try {
      port.postMessage({ id, value: run(job) } satisfies Answer);
    } catch (error) {
      port.postMessage({ id, error: (error as Error).message } satisfies Answer);
    }
  });
}

/** One worker, started on first use and kept; `close` ends it. */
export class Bn254Thread {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL(import.meta.url));
    worker.unref();
    worker.on("message", ({ id, value, error }: Answer) => {
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      if (error !== undefined) pending?.reject(new Error(error));
      else pending?.resolve(value);
    });
    worker.on("error", (error) => this.#failAll(error));
    worker.on("exit", (code) => {
      this.#worker = undefined;
      this.#failAll(new Error(`the BN254 worker exited (${code})`));
    });
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #call<T>(job: Job): Promise<T> {
    const worker = this.#start();
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Referenced while it works, so that a process waiting for the answer is not let exit.
      worker.ref();
      worker.postMessage({ id, job });
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker?.unref();
    });
  }

  /** A result's two BN254 signatures (see signBn254Result), made on the worker thread. */
  sign(secretKey: bigint, digest: Uint8Array, auth: Omit<AuthFields, "resultSignature">) {
    return this.#call<{ resultSignature: Uint8Array; authSignature: Uint8Array }>({
      kind: "sign",
      secretKey,
      digest,
      auth,
    });
  }

  /** Whether `signature` is a BN254 signature of `digest` (hashed to G1 as hash_to_curve) by `publicKey`. */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: { X: [bigint, bigint]; Y: [bigint, bigint] }) {
    return this.#call<boolean>({ kind: "verify", signature, digest, publicKey });
  }

  /** Ends the worker thread. */
  async close(): Promise<void> {
    await this.#worker?.terminate();
  }
}
