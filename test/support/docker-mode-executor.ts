// `hourglass-executor run` in docker mode as most end-to-end tests start it: a directory of its own with a fresh
// operator key, the AVSs registered with that operator on the test chain, and the config in the guide's keys.
import {
  dockerModeConfig,
  type TestOperator,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "./grpc-executor-config.ts";
import { type ExecutorProcess, startExecutorProcess } from "./grpc-processes.ts";
import type { TestChain } from "./test-chain.ts";

/** One entry of the config's supported_avs. */
export interface TestAvs {
  address: string;
  name: string;
  /** The performer's host:port. */
  endpoint: string;
}

export interface DockerModeExecutorOptions {
  /** The AVS addresses to register with the operator before the executor starts; default: every AVS. */
  register?: string[];
  /** Keys of performer_config over the defaults of dockerModeConfig. */
  performerConfig?: Record<string, unknown>;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface DockerModeExecutor {
  /** Holds config.yaml and the operator's key. */
  dir: string;
  operator: TestOperator;
  executor: ExecutorProcess;
}

/** Starts an executor for `avs` on `chain`; the caller stops `executor`. */
export async function startDockerModeExecutor(
  prefix: string,
  chain: TestChain,
  avs: TestAvs[],
  options: DockerModeExecutorOptions = {},
): Promise<DockerModeExecutor> {
  const { register = avs.map((a) => a.address), performerConfig, ...processOptions } = options;
  const dir = await testDir(prefix);
  const operator = await testOperator(dir);
  for (const address of register) await chain.addAvs(address, operator.address);
  const config = dockerModeConfig(chain.l1Chain, operator, avs, performerConfig);
  const executor = await startExecutorProcess(await writeExecutorConfig(dir, config), processOptions);
  return { dir, operator, executor };
}
