// The one loader from a config's ECDSA key reference to the key: inline, a file, a keystore, a keystore file.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseExecutorConfig } from "../../../src/api/executor-config.ts";
import { loadEcdsaPrivateKey } from "../../../src/executor/ecdsa-key.ts";
import { loadOperatorSigner } from "../../../src/executor/operator-key.ts";
import { web3Keystore } from "../../support/web3-keystores.ts";

// Hardhat's second well-known account: a public test key and its address.
const HEX = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const KEY = Buffer.from(HEX, "hex");

test("each kind of reference gives the same key", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ecdsa-key-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hexFile = join(dir, "operator.key");
  await writeFile(hexFile, `0x${HEX}\n`, { mode: 0o600 });
  const keystoreFile = join(dir, "operator.json");
  await writeFile(keystoreFile, web3Keystore(KEY, "pw", "pbkdf2"), { mode: 0o600 });
  const refs = [
    { path: "a", privateKey: `0x${HEX}` },
    { path: "b", privateKeyFile: hexFile },
    { path: "c", keystore: web3Keystore(KEY, "pw", "scrypt"), password: "pw" },
    { path: "d", keystoreFile, password: "pw" },
  ];
  for (const ref of refs) {
    assert.equal(Buffer.from(await loadEcdsaPrivateKey(ref)).toString("hex"), HEX, ref.path);
  }
});

test("failures name the config key, the file and the fix", async () => {
  await assert.rejects(
    loadEcdsaPrivateKey({ path: "operator.ecdsa_key_file", privateKeyFile: "/nonexistent/key" }),
    /^Error: operator\.ecdsa_key_file: cannot read \/nonexistent\/key \(ENOENT\); point it at the file holding the key$/,
  );
  await assert.rejects(
    loadEcdsaPrivateKey({ path: "operator.signingKeys.ecdsa", keystore: web3Keystore(KEY, "pw", "scrypt") }),
    /^Error: operator\.signingKeys\.ecdsa: wrong password/,
  );
  await assert.rejects(
    loadEcdsaPrivateKey({
      path: "operator.operatorPrivateKey",
      remoteSigner: { fromAddress: ADDRESS, publicKey: "0x04" },
    }),
    /^Error: operator\.operatorPrivateKey: names a remote signer, which this executor cannot sign with/,
  );
});

test("results are signed with signingKeys.ecdsa when given, else with the operator's key", async () => {
  const config = (signing: string) =>
    parseExecutorConfig(`operator:
  address: "${ADDRESS}"
  operatorPrivateKey: { privateKey: "${HEX}" }
  signingKeys: ${signing}
l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 }
`).config!;
  const own = await loadOperatorSigner(config("{ bls: { keystoreFile: /bn254.json } }").operator);
  assert.equal(own.address, ADDRESS);
  const other = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
  await assert.rejects(
    loadOperatorSigner(config(`{ ecdsa: { privateKey: "${other}" } }`).operator),
    /^Error: operator\.address: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 is not the address of the key at operator\.signingKeys\.ecdsa \(0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\)/,
  );
});
