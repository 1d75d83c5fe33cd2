// Certificates for the local cluster, made with the machine's openssl: one CA signs the apiserver's serving
// certificate, the admin client certificate, the apiserver's client certificate for kubelets, the webhook server's
// certificate (so the same CA is the webhook configurations' caBundle) and a node's kubelet certificates, plus the
// service-account signing key pair. EC P-256 keys keep generation fast.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  /** What the apiserver presents to kubelets (logs, exec, port-forward). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** Directory holding tls.crt and tls.key for the webhook server (the operator's --webhook-cert-dir). */
  webhookCertDir: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    kubeletClientCert: join(dir, "apiserver-kubelet-client.crt"),
    kubeletClientKey: join(dir, "apiserver-kubelet-client.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
    webhookCertDir: join(dir, "webhook"),
  };
}

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args);
}

async function ecKey(path: string): Promise<void> {
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path]);
}

export async function signedCert(
  pki: Pki,
  out: { cert: string; key: string },
  subject: string,
  extensions: string,
): Promise<void> {
  await ecKey(out.key);
  const csr = `${out.cert}.csr`;
  const ext = `${out.cert}.ext`;
  await openssl(["req", "-new", "-key", out.key, "-subj", subject, "-out", csr]);
  await writeFile(ext, `${extensions}\n`);
  await openssl([
    "x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey, "-CAcreateserial",
    "-days", "365", "-sha256", "-extfile", ext, "-out", out.cert,
  ]); // biome-ignore format: one flag per pair reads better
}

/** Creates every key and certificate under `dir`, keeping those that already exist (restarts reuse them). */
export async function ensurePki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  await mkdir(pki.webhookCertDir, { recursive: true });
  if (!existsSync(pki.caCert)) {
    await ecKey(pki.caKey);
    await openssl([
      "req", "-x509", "-new", "-key", pki.caKey, "-subj", "/CN=hourglass-local-ca", "-days", "3650", "-sha256",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-out", pki.caCert,
    ]); // biome-ignore format: flag pairs
  }
  if (!existsSync(pki.apiserverCert)) {
    const sans = [
      "IP:127.0.0.1",
      "IP:198.19.0.1",
      "DNS:localhost",
      "DNS:kubernetes",
      "DNS:kubernetes.default",
      "DNS:kubernetes.default.svc",
      "DNS:kubernetes.default.svc.cluster.local",
    ];
    await signedCert(
      pki,
      { cert: pki.apiserverCert, key: pki.apiserverKey },
      "/CN=kube-apiserver",
      `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth`,
    );
  }
  if (!existsSync(pki.adminCert)) {
    await signedCert(
      pki,
      { cert: pki.adminCert, key: pki.adminKey },
      "/O=system:masters/CN=admin",
      "extendedKeyUsage=clientAuth",
    );
  }
  if (!existsSync(pki.kubeletClientCert)) {
    await signedCert(
      pki,
      { cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
      "/O=system:masters/CN=kube-apiserver-kubelet-client",
      "extendedKeyUsage=clientAuth",
    );
  }
  const webhook = { cert: join(pki.webhookCertDir, "tls.crt"), key: join(pki.webhookCertDir, "tls.key") };
  if (!existsSync(webhook.cert)) {
    await signedCert(
      pki,
      webhook,
      "/CN=hourglass-webhook",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth",
    );
  }
  if (!existsSync(pki.serviceAccountKey)) {
    await ecKey(pki.serviceAccountKey);
    await openssl(["ec", "-in", pki.serviceAccountKey, "-pubout", "-out", pki.serviceAccountPub]);
  }
  return pki;
}
