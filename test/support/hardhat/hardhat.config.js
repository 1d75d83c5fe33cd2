// The tests' local EVM: a simulated L1 (chain id 31337, Hourglass's local chain), no forking, nothing remote.
import { defineConfig } from "hardhat/config";

export default defineConfig({
  networks: { default: { type: "edr-simulated", chainType: "l1", chainId: 31337 } },
});
