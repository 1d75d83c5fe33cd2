// What the chain-backed signer needs, taken from the executor's settings: the operator's address and keys (the
// ECDSA key that signs results, the same one loadOperatorSigner checks against operator.address; the BLS
// keystore as given), the L1 chain, the TaskMailbox override and the task store.
import type { ChainBackingInput } from "./chain/chain-backing.ts";
import { loadEcdsaPrivateKey } from "./ecdsa-key.ts";
import type { ExecutorSettings } from "./settings.ts";

/** The chain-backed signer's input from the executor's settings, with the ECDSA key read from its file. */
export async function chainBackingInputOf(settings: ExecutorSettings): Promise<ChainBackingInput> {
  const { operator, chain, storage } = settings;
  const bls = operator.signingKeys.bls;
  return {
    operatorAddress: operator.address,
    ecdsaPrivateKey: await loadEcdsaPrivateKey(operator.signingKeys.ecdsa ?? operator.operatorPrivateKey),
    bls: bls && { keystore: bls.keystore, keystoreFile: bls.keystoreFile, password: bls.password },
    l1Chain: chain.l1Chain,
    overrideContracts: chain.overrideContracts,
    storage,
    signingThreads: settings.signingThreads,
  };
}
