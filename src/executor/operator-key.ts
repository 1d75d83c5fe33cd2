// The operator's signing key, read from operator.ecdsa_key_file and checked against operator.address so that an
// executor never signs results under an address the aggregator will not attribute to it.
import { readFile } from "node:fs/promises";
import { type OperatorSigner, operatorSigner, parsePrivateKeyHex } from "./operator-signer.ts";

export async function loadOperatorSigner(operator: {
  address: string;
  ecdsaKeyFile: string;
}): Promise<OperatorSigner> {
  let text: string;
  try {
    text = await readFile(operator.ecdsaKeyFile, "utf8");
  } catch (error) {
    throw new Error(
      `operator.ecdsa_key_file: cannot read ${operator.ecdsaKeyFile} (${(error as NodeJS.ErrnoException).code ?? error}); point it at the file holding the operator's hex private key`,
    );
  }
  let signer: OperatorSigner;
  try {
    signer = operatorSigner(parsePrivateKeyHex(text));
  } catch (error) {
    throw new Error(`operator.ecdsa_key_file: ${operator.ecdsaKeyFile}: ${(error as Error).message}`);
  }
  if (signer.address !== operator.address.toLowerCase()) {
    throw new Error(
      `operator.address: ${operator.address} is not the address of the key in ${operator.ecdsaKeyFile} (${signer.address}); fix the address or the key file`,
    );
  }
  // Results carry the address as configured (EIP-55 case kept).
  return { address: operator.address, sign: signer.sign };
}
