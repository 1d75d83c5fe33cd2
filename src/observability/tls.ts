// A serving certificate read from a directory (tls.crt, tls.key: the layout of a kubernetes.io/tls Secret) and
// watched for renewal. cert-manager renews by updating the Secret; the kubelet then swaps the mounted files
// through a `..data` symlink, so the directory is watched rather than the files (a watch on a file follows the
// old inode and misses the swap), with a periodic re-read for filesystems whose events do not arrive.
import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createSecureContext } from "node:tls";

/** The certificate's file name, as a kubernetes.io/tls Secret mounts it. */
export const CERT_FILE = "tls.crt";
/** The private key's file name, as a kubernetes.io/tls Secret mounts it. */
export const KEY_FILE = "tls.key";

/**
 * What every server here accepts: TLS 1.2 or later, and in TLS 1.2 only forward-secret AEAD suites (those Go's
 * crypto/tls, and so the apiserver calling the webhooks, prefers). OpenSSL's default list also takes CBC suites
 * with SHA-1 MACs. TLS 1.3's suites are all AEAD and stay as they are.
 */
export const SERVING_TLS = {
  minVersion: "TLSv1.2",
  ciphers: [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
  ].join(":"),
} as const;

/** A serving certificate and its key, PEM. */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair in `dir`: both files present, PEM, and the key belonging to the certificate. */
export async function readTlsCredentials(dir: string): Promise<TlsCredentials> {
  const [cert, key] = await Promise.all([readPem(dir, CERT_FILE), readPem(dir, KEY_FILE)]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `${join(dir, CERT_FILE)} and ${join(dir, KEY_FILE)} do not form a usable pair (${(err as Error).message}); ` +
        "mount the tls.crt and tls.key of one kubernetes.io/tls Secret",
    );
  }
  return { cert, key };
}

async function readPem(dir: string, file: string): Promise<Buffer> {
  const path = join(dir, file);
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    throw new Error(
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        "point --webhook-cert-dir at a directory holding tls.crt and tls.key",
    );
  }
  if (!pem.includes("-----BEGIN ")) {
    throw new Error(
      `${path} is not PEM; it must hold a PEM ${file === CERT_FILE ? "certificate" : "private key"}`,
    );
  }
  return pem;
}

/** What to do with a renewed certificate pair, or one that cannot be used, and how often to re-read. */
export interface TlsWatchOptions {
  /** Called with each new, valid pair. */
  onChange(credentials: TlsCredentials): void;
  /** Called when the files changed but cannot be used (yet): the current pair stays in service. */
  onError(err: Error): void;
  /** Re-read this often even without file events. */
  pollIntervalMs?: number;
}

/** A running watch on a certificate directory, closed when its server closes. */
export interface TlsWatch {
  close(): void;
}

/** Watches `dir` and reports each pair that differs from `current`. */
export function watchTlsCredentials(
  dir: string,
  current: TlsCredentials,
  options: TlsWatchOptions,
): TlsWatch {
  let served = current;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  // One re-read at a time; events during a read cause exactly one more, since a swap emits several events.
  const reread = () => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = readTlsCredentials(dir)
      .then(
        (next) => {
          if (!closed && !(next.cert.equals(served.cert) && next.key.equals(served.key))) {
            served = next;
            options.onChange(next);
          }
        },
        // Mid-swap the new certificate can sit beside the old key; the next event or poll picks up the pair.
        (err: Error) => {
          if (!closed) options.onError(err);
        },
      )
      .finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          reread();
        }
      });
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, reread);
    watcher.on("error", (err) => options.onError(err));
  } catch (err) {
    // Out of inotify watches (EMFILE, ENOSPC), common on busy nodes: the poll below still sees every renewal.
    options.onError(
      new Error(`cannot watch ${dir} (${(err as Error).message}); checking every poll interval instead`),
    );
  }
  const poll = setInterval(reread, options.pollIntervalMs ?? 10_000);
  poll.unref();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
