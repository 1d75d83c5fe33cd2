/** The V8 settings the operator runs with (config/manager/manager.yaml; the benchmarks start it the same
 * way). V8 sizes the young generation for throughput, up to 16 MiB per semi-space (32 MiB of new space held
 * resident) and grows the old space ahead of need; with the operator's short-lived garbage (one API response
 * per write) that held 290 MiB of RSS at the peak of 500 Performers reconciled, against ~55 MiB of live
 * heap. 2 MiB semi-spaces scavenge more often (a few hundred microseconds each) and keep the peak near the
 * live size: 160-175 MiB (make bench). */
export const OPERATOR_NODE_OPTIONS = "--max-semi-space-size=2";

/** --optimize-for-size makes V8 grow the old space by smaller steps (so full collections come sooner) and
 * keep less compiled code: 150 MiB peak at 500 Performers against 170 with the semi-spaces alone (one round
 * each at load average ~20, make bench), ~7 MiB less right after loading the modules (145 against 152). Node
 * refuses it in NODE_OPTIONS, so it goes on the command line, before the script. */
export const OPERATOR_NODE_FLAGS: readonly string[] = ["--optimize-for-size"];
