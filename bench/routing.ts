// Task routing: an aggregator-like client sending tasks through `hourglass-executor run` (docker mode) to the
// sample performer, against the same client calling the performer directly; 1 KiB and 64 KiB payloads at
// concurrency 1 and 64. The executor is on the chain path, as it always is: every task signed by the AVS's
// aggregator on a local EVM, admitted (fields, task store, operator set and aggregator key at the task's block,
// the aggregator's signature), its result signed as Hourglass signs it. All processes are separate and on
// 127.0.0.1. At concurrency 64 an executor with one signing thread (--signing-threads=1) is measured beside it.
import { rm } from "node:fs/promises";
import { executorClient } from "../test/support/grpc-clients.ts";
import {
  dockerModeConfig,
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../test/support/grpc-executor-config.ts";
import {
  startExecutorProcess,
  startNodeProcess,
  startSamplePerformer,
  type TestProcess,
} from "../test/support/grpc-processes.ts";
import { startTestChain } from "../test/support/test-chain.ts";
import { atLeast, atMost, type Check } from "./checks.ts";
import { loadResult } from "./load-process.ts";
import { alternatingRounds, type LoadStats, median, medianRatio, type Round } from "./load-stats.ts";
import { processUsage } from "./process-usage.ts";
import { signedTasks } from "./signed-tasks.ts";

const PAYLOADS = [
  { name: "1KiB", bytes: 1024 },
  { name: "64KiB", bytes: 64 * 1024 },
] as const;
const CONCURRENCIES = [1, 64] as const;
const WARM_UP_MS = 2_000;
/** Where the executor with signing threads is measured too: where tasks wait, so a thread has work to take. */
const THREADED_AT = 64;
/** Tasks each load process signs before it starts: more than any round here answers, on this machine. */
const SIGN_AHEAD = 12_000;

export interface RoutingRun {
  payload: string;
  concurrency: number;
  /** Each round's stats: `subject` is through the executor, `baseline` straight to the performer. */
  rounds: Round[];
  throughputRatio: number;
  /** Median over rounds of the executor's p50 minus the direct p50. */
  addedP50Ms: number;
  /**
   * CPU milliseconds per task (user + system), medians over rounds: the executor's and the performer's through
   * the executor, the performer's alone when called directly. The executor is a gRPC server and a gRPC client
   * of the same stack as the performer, so on a machine whose cores the load saturates its own CPU per task
   * bounds the throughput ratio.
   */
  cpuMsPerTask: { executor: number; performerViaExecutor: number; performerDirect: number; relay: number };
  /**
   * The same load through bench/grpc-relay.ts (the gRPC hop alone, no executor logic) against direct calls:
   * the best ratio and the least added latency any executor on this gRPC stack could show on this machine.
   */
  relay: { rounds: Round[]; throughputRatio: number; addedP50Ms: number };
  /**
   * At concurrency THREADED_AT, the same load through an executor run with --signing-threads=1 against direct
   * calls: what moving each task's checks and signatures off the event loop buys, or costs, on this machine.
   */
  threaded?: { rounds: Round[]; throughputRatio: number; addedP50Ms: number; cpuMsPerTask: number };
}

export interface RoutingResult {
  roundsPerRun: number;
  durationMsPerRound: number;
  runs: RoutingRun[];
  /** Tasks the load processes had to sign while measuring (their signing ahead ran out); 0 in a clean run. */
  signedDuringLoad: number;
  checks: Check[];
  notes: string[];
}

export async function routingBenchmark(rounds: number, durationMsPerRound: number): Promise<RoutingResult> {
  const dir = await testDir("bench-routing");
  const avs = testAvsAddress();
  const chain = await startTestChain();
  const performer = await startSamplePerformer();
  let executor: Awaited<ReturnType<typeof startExecutorProcess>> | undefined;
  let threaded: Awaited<ReturnType<typeof startExecutorProcess>> | undefined;
  let relay: TestProcess | undefined;
  let signedDuringLoad = 0;
  try {
    const operator = await testOperator(dir);
    await chain.addAvs(avs, operator.address);
    // Tasks at one block: the executor reads the operator sets once, as for every task of a block.
    const block = await chain.world.blockNumber();
    const config = dockerModeConfig(chain.l1Chain, operator, [
      { address: avs, name: "bench", endpoint: performer.address },
    ]);
    const configPath = await writeExecutorConfig(dir, config);
    executor = await startExecutorProcess(configPath);
    threaded = await startExecutorProcess(configPath, { args: ["--signing-threads=1"] });
    relay = startNodeProcess(["bench/grpc-relay.ts", `--performer=${performer.address}`]);
    const relayAddress = `127.0.0.1:${(await relay.waitForLog((l) => l.msg === "relay serving")).port}`;
    await firstTaskThrough(executor.grpcAddress, avs, operator.address, block);
    await firstTaskThrough(threaded.grpcAddress, avs, operator.address, block);
    const load = async (
      target: "executor" | "performer",
      address: string,
      bytes: number,
      concurrency: number,
      durationMs = durationMsPerRound,
    ) => {
      const stats = await loadResult([
        "bench/grpc-load.ts",
        `--target=${target}`,
        `--address=${address}`,
        `--avs=${avs}`,
        `--operator=${operator.address}`,
        `--block=${block}`,
        `--sign-ahead=${target === "executor" ? SIGN_AHEAD : 0}`,
        `--payload-bytes=${bytes}`,
        `--concurrency=${concurrency}`,
        `--duration-ms=${durationMs}`,
      ]);
      if (durationMs === durationMsPerRound) signedDuringLoad += stats.signedDuringLoad ?? 0;
      return stats;
    };
    // As in production, where they have long been running: every process on every path warm before measuring.
    for (const payload of PAYLOADS) {
      await load("executor", executor.grpcAddress, payload.bytes, 16, WARM_UP_MS);
      await load("executor", threaded.grpcAddress, payload.bytes, THREADED_AT, WARM_UP_MS);
      await load("executor", relayAddress, payload.bytes, 16, WARM_UP_MS);
      await load("performer", performer.address, payload.bytes, 16, WARM_UP_MS);
    }
    const runs: RoutingRun[] = [];
    for (const payload of PAYLOADS) {
      for (const concurrency of CONCURRENCIES) {
        const cpu = {
          executor: [] as number[],
          performerViaExecutor: [] as number[],
          performerDirect: [] as number[],
          relay: [] as number[],
          threaded: [] as number[],
        };
        const measured = await alternatingRounds(
          rounds,
          () =>
            withCpuPerTask(
              [executor!.child.pid!, performer.child.pid!],
              () => load("executor", executor!.grpcAddress, payload.bytes, concurrency),
              ([e, p]) => {
                cpu.executor.push(e!);
                cpu.performerViaExecutor.push(p!);
              },
            ),
          () =>
            withCpuPerTask(
              [performer.child.pid!],
              () => load("performer", performer.address, payload.bytes, concurrency),
              ([p]) => cpu.performerDirect.push(p!),
            ),
        );
        const relayRounds = await alternatingRounds(
          rounds,
          () =>
            withCpuPerTask(
              [relay!.child.pid!],
              () => load("executor", relayAddress, payload.bytes, concurrency),
              ([r]) => cpu.relay.push(r!),
            ),
          () => load("performer", performer.address, payload.bytes, concurrency),
        );
        const threadedRounds =
          concurrency === THREADED_AT
            ? await alternatingRounds(
                rounds,
                () =>
                  withCpuPerTask(
                    [threaded!.child.pid!],
                    () => load("executor", threaded!.grpcAddress, payload.bytes, concurrency),
                    ([t]) => cpu.threaded.push(t!),
                  ),
                () => load("performer", performer.address, payload.bytes, concurrency),
              )
            : undefined;
        runs.push({
          payload: payload.name,
          concurrency,
          rounds: measured,
          throughputRatio: medianRatio(measured, (s) => s.requestsPerSecond),
          addedP50Ms: median(measured.map((r) => r.subject.p50Ms - r.baseline.p50Ms)),
          relay: {
            rounds: relayRounds,
            throughputRatio: medianRatio(relayRounds, (s) => s.requestsPerSecond),
            addedP50Ms: median(relayRounds.map((r) => r.subject.p50Ms - r.baseline.p50Ms)),
          },
          ...(threadedRounds
            ? {
                threaded: {
                  rounds: threadedRounds,
                  throughputRatio: medianRatio(threadedRounds, (s) => s.requestsPerSecond),
                  addedP50Ms: median(threadedRounds.map((r) => r.subject.p50Ms - r.baseline.p50Ms)),
                  cpuMsPerTask: median(cpu.threaded),
                },
              }
            : {}),
          cpuMsPerTask: {
            executor: median(cpu.executor),
            performerViaExecutor: median(cpu.performerViaExecutor),
            performerDirect: median(cpu.performerDirect),
            relay: median(cpu.relay),
          },
        });
      }
    }
    return {
      roundsPerRun: rounds,
      durationMsPerRound,
      runs,
      signedDuringLoad,
      checks: runs.flatMap(routingChecks),
      notes: [
        `each ratio and difference is the median of ${rounds} rounds of ${durationMsPerRound / 1000} s, alternating which side goes first, after the executor, the relay and the performer each served ${WARM_UP_MS / 1000} s of load per payload size`,
        `the executor on the chain path (memory task store, digests computed locally after the self-test): each task's aggregator signature verified and its result signed twice (ECDSA); the load processes sign their tasks ahead (${signedDuringLoad} signed during a measured round)`,
        ...runs.map(routingNote),
      ],
    };
  } finally {
    await executor?.stop();
    await threaded?.stop();
    await relay?.stop();
    await performer.stop();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs one load round and reports each process's CPU milliseconds per task answered in it. */
async function withCpuPerTask(
  pids: number[],
  run: () => Promise<LoadStats>,
  report: (msPerTask: number[]) => void,
): Promise<LoadStats> {
  const before = pids.map((pid) => processUsage(pid).cpuSeconds);
  const stats = await run();
  const tasks = stats.answeredInAll ?? stats.requests;
  report(pids.map((pid, i) => ((processUsage(pid).cpuSeconds - before[i]!) * 1000) / tasks));
  return stats;
}

/** The executor connects to its performers (and the chain) in the background; wait until a task goes through. */
async function firstTaskThrough(
  address: string,
  avs: string,
  operator: string,
  block: bigint,
): Promise<void> {
  const client = executorClient(address);
  const deadline = Date.now() + 30_000;
  const tasks = signedTasks({ avs, operator, blockNumber: block, payload: Buffer.from("x"), ahead: 0 });
  try {
    for (;;) {
      const ok = await client.submitTask(tasks.next(), new Date(Date.now() + 5_000)).then(
        () => true,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the executor at ${address} routed no task within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    client.close();
  }
}

function routingNote(run: RoutingRun): string {
  const side = (name: string, pick: (r: Round) => LoadStats) =>
    `${name} ${median(run.rounds.map((r) => pick(r).requestsPerSecond)).toFixed(0)} tasks/s, p50 ${Number(median(run.rounds.map((r) => pick(r).p50Ms))).toFixed(2)} ms, p99 ${Number(median(run.rounds.map((r) => pick(r).p99Ms))).toFixed(2)} ms`;
  const cpu = run.cpuMsPerTask;
  const threaded = run.threaded
    ? `; the executor with one signing thread: tasks/s ratio ${run.threaded.throughputRatio.toFixed(3)} (${(run.threaded.throughputRatio / run.relay.throughputRatio).toFixed(3)} of the relay's), added p50 ${run.threaded.addedP50Ms.toFixed(3)} ms, CPU per task ${run.threaded.cpuMsPerTask.toFixed(3)} ms`
    : "";
  return `${run.payload} c=${run.concurrency} (medians): ${side("executor", (r) => r.subject)}; ${side("direct", (r) => r.baseline)}; CPU per task: executor ${cpu.executor.toFixed(3)} ms, relay ${cpu.relay.toFixed(3)} ms, performer ${cpu.performerViaExecutor.toFixed(3)} ms (${cpu.performerDirect.toFixed(3)} ms direct); a bare gRPC relay instead of the executor: tasks/s ratio ${run.relay.throughputRatio.toFixed(3)}, added p50 ${run.relay.addedP50Ms.toFixed(3)} ms${threaded}`;
}

function routingChecks(run: RoutingRun): Check[] {
  const label = `${run.payload} c=${run.concurrency}`;
  const failed = run.rounds.reduce((sum, r) => sum + r.subject.errors + r.baseline.errors, 0);
  return [
    atLeast("routing", `${label} tasks/s ratio`, run.throughputRatio, 0.8),
    atMost("routing", `${label} added p50 (ms)`, run.addedP50Ms, 0.3),
    // The targets: against the bare relay, each side's ratio and difference taken against its own direct
    // rounds of the same run.
    atLeast(
      "routing",
      `${label} tasks/s ratio to the relay`,
      run.throughputRatio / run.relay.throughputRatio,
      0.95,
    ),
    atMost("routing", `${label} added p50 over the relay (ms)`, run.addedP50Ms - run.relay.addedP50Ms, 0.1),
    ...(failed > 0 ? [atMost("routing", `${label} failed tasks`, failed, 0)] : []),
  ];
}
