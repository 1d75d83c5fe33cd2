// The key that signs task results (signingKeys.ecdsa, else the operator's own key; the guide's ecdsa_key_file is
// both), checked against operator.address so that an executor never signs results under an address the aggregator
// will not attribute to it.
import type { OperatorConfig } from "../api/executor-config.ts";
import { loadEcdsaPrivateKey } from "./ecdsa-key.ts";
import { type OperatorSigner, operatorSigner } from "./operator-signer.ts";

/** Reads the operator's ECDSA key and refuses it unless it is the key of operator.address. */
export async function loadOperatorSigner(operator: OperatorConfig): Promise<OperatorSigner> {
  const ref = operator.signingKeys.ecdsa ?? operator.operatorPrivateKey;
  const signer = operatorSigner(await loadEcdsaPrivateKey(ref));
  if (signer.address !== operator.address.toLowerCase()) {
    throw new Error(
      `operator.address: ${operator.address} is not the address of the key at ${ref.path} (${signer.address}); fix the address or the key`,
    );
  }
  // Results carry the address as configured (EIP-55 case kept).
  return { address: operator.address, sign: signer.sign };
}
