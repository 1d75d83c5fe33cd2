// CPU and heap profiles on demand (ENABLE_PROFILING=true or 1), in Go's pprof format (gzipped profile.proto) at
// Go's paths, so that `go tool pprof http://localhost:6060/debug/pprof/profile` reads them as it would a Go
// server's:
//   GET /debug/pprof/profile?seconds=30  → where the process spent its time (V8's sampling profiler)
//   GET /debug/pprof/heap                → live heap allocations, sampled since the profiling server started
// @datadog/pprof (a native addon) is loaded only when profiling is on: it holds ~8 MiB of RSS in a process that
// never serves a profile.
import type * as Pprof from "@datadog/pprof";
import type { HttpReply, HttpRoutes } from "./http-server.ts";

const MAX_PROFILE_SECONDS = 300;
/** Go's default for /debug/pprof/profile. */
const DEFAULT_PROFILE_SECONDS = 30;
/** Mean bytes between heap samples and the deepest stack kept: pprof's usual settings for a small overhead. */
const HEAP_SAMPLE_BYTES = 512 * 1024;
const HEAP_STACK_DEPTH = 64;

const PPROF_TYPE = "application/octet-stream";
let cpuProfileRunning = false;

async function cpuProfile(pprof: typeof Pprof, query: URLSearchParams): Promise<HttpReply> {
  const asked = query.get("seconds");
  const seconds = asked === null ? DEFAULT_PROFILE_SECONDS : Number(asked);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_PROFILE_SECONDS) {
    return {
      status: 400,
      contentType: "text/plain",
      body: `seconds: "${asked}" must be a number in (0, ${MAX_PROFILE_SECONDS}]\n`,
    };
  }
  // V8 has one sampling profiler per isolate: a second profile at once would stop the first one's samples.
  if (cpuProfileRunning) {
    return { status: 409, contentType: "text/plain", body: "a CPU profile is already being taken; retry\n" };
  }
  cpuProfileRunning = true;
  try {
    const profile = await pprof.time.profile({ durationMillis: Math.round(seconds * 1000) });
    return { status: 200, contentType: PPROF_TYPE, body: await pprof.encode(profile) };
  } finally {
    cpuProfileRunning = false;
  }
}

async function heapProfile(pprof: typeof Pprof): Promise<HttpReply> {
  return { status: 200, contentType: PPROF_TYPE, body: await pprof.encode(pprof.heap.profile()) };
}

/** The routes of the profiling server; starts heap sampling, which then runs for the life of the process. */
export async function profilingRoutes(): Promise<HttpRoutes> {
  const pprof = await import("@datadog/pprof");
  pprof.heap.start(HEAP_SAMPLE_BYTES, HEAP_STACK_DEPTH);
  return {
    "/debug/pprof/profile": (query) => cpuProfile(pprof, query),
    "/debug/pprof/heap": () => heapProfile(pprof),
  };
}
