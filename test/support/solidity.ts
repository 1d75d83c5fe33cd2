// The stand-in contracts of test/fixtures/contracts compiled with solc-js, cached by the sources' hash so that
// only a change to them pays for a compile (about 1 s and 200 MB).
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Abi, Hex } from "viem";

const SOURCES = join(import.meta.dirname, "..", "fixtures", "contracts");
const CACHE = join(import.meta.dirname, "..", "..", "node_modules", ".cache", "hourglass-contracts");

export interface CompiledContract {
  abi: Abi;
  /** Runtime code, for hardhat_setCode at a fixed address. */
  deployedBytecode: Hex;
}
export type CompiledContracts = Record<string, CompiledContract>;

export async function compileStandIns(): Promise<CompiledContracts> {
  const files = (await readdir(SOURCES)).filter((f) => f.endsWith(".sol")).sort();
  const sources = Object.fromEntries(
    await Promise.all(
      files.map(async (f) => [f, { content: await readFile(join(SOURCES, f), "utf8") }] as const),
    ),
  );
  const solc = (await import("solc")).default;
  const hash = createHash("sha256")
    .update(solc.version())
    .update(JSON.stringify(sources))
    .digest("hex")
    .slice(0, 16);
  const cached = join(CACHE, `${hash}.json`);
  try {
    return JSON.parse(await readFile(cached, "utf8"));
  } catch {
    // Not compiled yet.
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === "error");
  if (errors.length > 0)
    throw new Error(
      `solc: ${errors.map((e: { formattedMessage: string }) => e.formattedMessage).join("\n")}`,
    );
  const contracts: CompiledContracts = {};
  for (const file of Object.values(output.contracts) as Record<
    string,
    { abi: Abi; evm: { deployedBytecode: { object: string } } }
  >[]) {
    for (const [name, c] of Object.entries(file)) {
      contracts[name] = { abi: c.abi, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
    }
  }
  await mkdir(CACHE, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify(contracts));
  await rename(partial, cached);
  return contracts;
}
