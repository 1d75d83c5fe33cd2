// The L1 chain of a test that runs `hourglass-executor run`: a local EVM of its own (port 0) with the chain
// world's contracts, AVSs registered for the test's operator, tasks signed by the AVS's aggregator as Hourglass's
// aggregator signs them, and results checked as its aggregator checks them.
import type { TaskResult } from "../../src/grpc/messages.ts";
import { chainAggregator } from "./aggregator-check.ts";
import { signEcdsaTask } from "./aggregator-tasks.ts";
import { AGGREGATOR_KEY, CHAIN_ID, type ChainWorld, installChainWorld, taskFor } from "./chain-world.ts";
import { type LocalEvm, startLocalEvm } from "./local-evm.ts";

export interface TestChain {
  evm: LocalEvm;
  world: ChainWorld;
  /** The config's l1_chain. */
  l1Chain: { rpc_url: string; chain_id: number };
  /** Registers `avs` (ECDSA operator sets) with `operator` in its executor set. */
  addAvs(avs: string, operator: string): Promise<void>;
  /** A task of `avs` for `operator`, at the current block, signed by the AVS's aggregator. */
  task(avs: string, operator: string, payload: Buffer): Promise<SignedTask>;
  /** Throws, saying which check fails, unless Hourglass's aggregator would take `result` as the answer to
   * `task` by `operator`. */
  checkResult(task: SignedTask, result: TaskResult, operator: string): Promise<void>;
  stop(): Promise<void>;
}

export type SignedTask = ReturnType<typeof signEcdsaTask>;

/** `hostname`: the address the chain listens on (127.0.0.1 unless told; the local node's bridge address for an
 * executor in a Pod). */
export async function startTestChain(options: { hostname?: string } = {}): Promise<TestChain> {
  const evm = await startLocalEvm({ hostname: options.hostname });
  let world: ChainWorld;
  try {
    world = await installChainWorld(evm.rpcUrl);
  } catch (error) {
    await evm.stop();
    throw error;
  }
  return {
    evm,
    world,
    l1Chain: { rpc_url: evm.rpcUrl, chain_id: CHAIN_ID },
    addAvs: (avs, operator) => world.addAvs(avs, "ecdsa", operator),
    task: async (avs, operator, payload) =>
      signEcdsaTask(await taskFor(world, avs, operator, payload), AGGREGATOR_KEY),
    async checkResult(task, result, operator) {
      if (result.task_id !== task.task_id) throw new Error(`task_id ${result.task_id}, sent ${task.task_id}`);
      if (result.operator_set_id !== task.operator_set_id) {
        throw new Error(`operator_set_id ${result.operator_set_id}, sent ${task.operator_set_id}`);
      }
      const check = await chainAggregator(evm.rpcUrl, world.contracts, task.reference_timestamp);
      await check.checkEcdsa(
        {
          taskId: result.task_id,
          avsAddress: result.avs_address,
          operatorAddress: result.operator_address,
          operatorSetId: result.operator_set_id,
          output: result.output,
          resultSignature: result.result_signature,
          authSignature: result.auth_signature,
        },
        operator,
      );
    },
    stop: () => evm.stop(),
  };
}
