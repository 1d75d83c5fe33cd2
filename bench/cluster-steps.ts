// Steps the cluster benchmarks share: bounded parallel requests, polling for a condition, a deadline, a namespace
// ready for Pods.
import { setTimeout as sleep } from "node:timers/promises";
import type { CoreV1Api } from "@kubernetes/client-node";

/** Runs `each` over `items`, `limit` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Polls `check` every 200 ms until it gives a value (errors count as not yet). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** `work`, or an error once `deadline` (ms since the epoch; Infinity: none) passes first. */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  if (!Number.isFinite(deadline)) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not done by the deadline, ${new Date(deadline).toISOString()}`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until the service-account controller has made the namespace's default account.
  await until(
    `namespace ${name}`,
    () => core.readNamespacedServiceAccount({ name: "default", namespace: name }),
    60_000,
  );
}
