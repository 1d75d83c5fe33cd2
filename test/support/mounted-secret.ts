// A kubernetes.io/tls Secret as the kubelet mounts it, and renewed the way the kubelet renews it, for tests of
// certificate reloading.
import { mkdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Pki } from "../controlplane/pki.ts";

/** A directory laid out as the kubelet mounts a Secret: tls.crt -> ..data/tls.crt, ..data -> a timestamped dir. */
export async function mountedSecretDir(dir: string, from: Pki): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeVersion(dir, "..v1", from);
  await symlink("..v1", join(dir, "..data"));
  await symlink(join("..data", "tls.crt"), join(dir, "tls.crt"));
  await symlink(join("..data", "tls.key"), join(dir, "tls.key"));
}

async function writeVersion(dir: string, version: string, from: Pki): Promise<void> {
  await mkdir(join(dir, version));
  await writeFile(join(dir, version, "tls.crt"), await readFile(join(from.webhookCertDir, "tls.crt")));
  await writeFile(join(dir, version, "tls.key"), await readFile(join(from.webhookCertDir, "tls.key")));
}

/** The kubelet's atomic update: the new version is written aside, then `..data` is renamed over in one step. */
export async function swapMountedSecret(dir: string, to: Pki, version = "..v2"): Promise<void> {
  await writeVersion(dir, version, to);
  await symlink(version, join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
}
