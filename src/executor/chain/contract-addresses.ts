// Where the EigenLayer contracts the executor reads live, per chain id, as Hourglass keeps them
// (ponos/pkg/config/config.go: CoreContracts; a local chain 31337 uses Sepolia's addresses, 31338 Base
// Sepolia's), and the config's `overrideContracts`, which, as upstream, can move the TaskMailbox.
/** The addresses of the EigenLayer contracts the executor reads on one chain. */
export interface CoreContracts {
  AllocationManager?: string;
  KeyRegistrar?: string;
  TaskMailbox?: string;
  ECDSACertificateVerifier?: string;
  BN254CertificateVerifier?: string;
}
/** One of the EigenLayer contracts the executor reads. */
export type ContractName = keyof CoreContracts;

const ETHEREUM_MAINNET: CoreContracts = {
  AllocationManager: "0x948a420b8CC1d6BFd0B6087C2E7c344a2CD0bc39",
  TaskMailbox: "0x132b466d9d5723531F68797519DfED701aC2C749",
  KeyRegistrar: "0x54f4bC6bDEbe479173a2bbDc31dD7178408A57A4",
  ECDSACertificateVerifier: "0xd0930ee96D07de4F9d493c259232222e46B6EC25",
  BN254CertificateVerifier: "0x3F55654b2b2b86bB11bE2f72657f9C33bf88120A",
};
const BASE_MAINNET: CoreContracts = {
  TaskMailbox: "0x132b466d9d5723531F68797519DfED701aC2C749",
  ECDSACertificateVerifier: "0xd0930ee96D07de4F9d493c259232222e46B6EC25",
  BN254CertificateVerifier: "0x3F55654b2b2b86bB11bE2f72657f9C33bf88120A",
};
const ETHEREUM_SEPOLIA: CoreContracts = {
  AllocationManager: "0x42583067658071247ec8ce0a516a58f682002d07",
  TaskMailbox: "0xb99cc53e8db7018f557606c2a5b066527bf96b26",
  KeyRegistrar: "0xa4db30d08d8bbca00d40600bee9f029984db162a",
  ECDSACertificateVerifier: "0xb3cd1a457dea9a9a6f6406c6419b1c326670a96f",
  BN254CertificateVerifier: "0xff58a373c18268f483c1f5ca03cf885c0c43373a",
};
const BASE_SEPOLIA: CoreContracts = {
  TaskMailbox: "0xb99cc53e8db7018f557606c2a5b066527bf96b26",
  ECDSACertificateVerifier: "0xb3cd1a457dea9a9a6f6406c6419b1c326670a96f",
  BN254CertificateVerifier: "0xff58a373c18268f483c1f5ca03cf885c0c43373a",
};

/** The EigenLayer contracts by chain id, as Hourglass's CoreContracts (local chains use the testnets'
 * addresses). */
export const CORE_CONTRACTS: Readonly<Record<number, CoreContracts>> = {
  1: ETHEREUM_MAINNET,
  8453: BASE_MAINNET,
  17000: { AllocationManager: "0x78469728304326cbc65f8f95fa756b0b73164462" },
  560048: {},
  11155111: ETHEREUM_SEPOLIA,
  84532: BASE_SEPOLIA,
  31337: ETHEREUM_SEPOLIA,
  31338: BASE_SEPOLIA,
};

/** A contract the config moves, and on which chains. */
export interface OverrideContract {
  /** As upstream: the contract's JSON ({"name": "TaskMailbox", "address": "0x…", …}); a bare address is taken too. */
  contract: string;
  chainIds: readonly number[];
}
/** The config's overrideContracts: as upstream, only the TaskMailbox can be moved. */
export interface OverrideContracts {
  taskMailbox?: OverrideContract;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function overrideAddress(override: OverrideContract): string {
  const text = override.contract.trim();
  if (ADDRESS.test(text)) return text;
  let parsed: { address?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `overrideContracts.taskMailbox.contract: expected the contract's JSON ({"name":"TaskMailbox","address":"0x…"}) or an address, got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  if (typeof parsed?.address !== "string" || !ADDRESS.test(parsed.address)) {
    throw new Error(
      `overrideContracts.taskMailbox.contract: "address" must be 0x + 40 hex digits, got ${JSON.stringify(parsed?.address)}`,
    );
  }
  return parsed.address;
}

/** The contracts for `chainId`, the override applied; throws naming the chain when it has no table. */
export function coreContractsFor(chainId: number, overrides: OverrideContracts = {}): CoreContracts {
  const known = CORE_CONTRACTS[chainId];
  if (!known) {
    throw new Error(
      `l1Chain.chainId: no EigenLayer contracts are known for chain ${chainId} (known: ${Object.keys(CORE_CONTRACTS).join(", ")})`,
    );
  }
  const mailbox = overrides.taskMailbox;
  if (mailbox && mailbox.contract.trim() !== "" && mailbox.chainIds.includes(chainId)) {
    return { ...known, TaskMailbox: overrideAddress(mailbox) };
  }
  return { ...known };
}
