// The one way an ECDSA key named by the config becomes key bytes: inline hex, a file of hex, or a Web3 Secret
// Storage keystore (inline or in a file). Every failure names the config key it came from and what to fix.
import { readFile } from "node:fs/promises";
import type { EcdsaKeyRef } from "../api/executor-config.ts";
import { decryptWeb3Keystore, parseWeb3Keystore } from "../api/web3-keystore.ts";
import { parsePrivateKeyHex } from "./operator-signer.ts";

/** A key file or keystore is a few hundred bytes; anything this large is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

async function readKeyFile(file: string, at: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(
      `${at}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error}); point it at the file holding the key`,
    );
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw new Error(
      `${at}: ${file} is ${bytes.length} bytes, larger than any key file; is it the right file?`,
    );
  }
  return bytes.toString("utf8");
}

async function fromKeystore(text: string, ref: EcdsaKeyRef, at: string): Promise<Uint8Array> {
  try {
    return parsePrivateKeyHex(
      Buffer.from(await decryptWeb3Keystore(parseWeb3Keystore(text), ref.password ?? "")).toString("hex"),
    );
  } catch (error) {
    throw new Error(`${at}: ${(error as Error).message}`);
  }
}

function fromHex(text: string, at: string): Uint8Array {
  try {
    return parsePrivateKeyHex(text);
  } catch (error) {
    throw new Error(`${at}: ${(error as Error).message}`);
  }
}

/** The private key `ref` names (32 bytes); throws with the config path when it cannot be had. */
export async function loadEcdsaPrivateKey(ref: EcdsaKeyRef): Promise<Uint8Array> {
  if (ref.privateKey !== undefined) return fromHex(ref.privateKey, ref.path);
  if (ref.privateKeyFile !== undefined) {
    return fromHex(await readKeyFile(ref.privateKeyFile, ref.path), `${ref.path}: ${ref.privateKeyFile}`);
  }
  if (ref.keystore !== undefined) return fromKeystore(ref.keystore, ref, ref.path);
  if (ref.keystoreFile !== undefined) {
    const text = await readKeyFile(ref.keystoreFile, ref.path);
    return fromKeystore(text, ref, `${ref.path}: ${ref.keystoreFile}`);
  }
  throw new Error(
    `${ref.path}: names a remote signer, which this executor cannot sign with; give the key itself, a key file or a keystore`,
  );
}
