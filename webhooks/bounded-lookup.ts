// A lookup admission makes, bounded well inside the webhooks' 5 s timeout, so that a slow apiserver yields a clear
// "try again" instead of the apiserver giving up on the webhook.
import type { ApiException } from "@kubernetes/client-node";
import { AdmissionLookupError } from "./admission-facts.ts";

/** `call`, or an AdmissionLookupError saying what could not be done and why. */
export async function bounded<T>(
  what: string,
  timeoutMs: number,
  forbiddenHint: string,
  call: Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AdmissionLookupError(`could not ${what}: no answer within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call, timeout]);
  } catch (err) {
    if (err instanceof AdmissionLookupError) throw err;
    const code = (err as ApiException<unknown>).code;
    const hint = code === 403 ? ` (${forbiddenHint})` : "";
    throw new AdmissionLookupError(
      `could not ${what}: ${code ? `HTTP ${code}` : (err as Error).message}${hint}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
