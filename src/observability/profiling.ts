// CPU and heap profiles on demand (ENABLE_PROFILING=true), taken with node:inspector in this process:
//   GET /debug/pprof/profile?seconds=30  → a .cpuprofile (Chrome DevTools / speedscope format)
//   GET /debug/pprof/heap                → a .heapsnapshot (Chrome DevTools)
// The paths are Go's pprof paths, where Hourglass operators will look first; the formats are V8's.
import { Session } from "node:inspector/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { HttpReply, HttpRoutes } from "./http-server.ts";

const MAX_PROFILE_SECONDS = 300;

async function cpuProfile(query: URLSearchParams): Promise<HttpReply> {
  const seconds = Number(query.get("seconds") ?? "30");
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_PROFILE_SECONDS) {
    return {
      status: 400,
      contentType: "text/plain",
      body: `seconds: "${query.get("seconds")}" must be a number in (0, ${MAX_PROFILE_SECONDS}]\n`,
    };
  }
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    await sleep(seconds * 1000);
    const { profile } = await session.post("Profiler.stop");
    return { status: 200, contentType: "application/json", body: JSON.stringify(profile) };
  } finally {
    session.disconnect();
  }
}

async function heapSnapshot(): Promise<HttpReply> {
  const session = new Session();
  const chunks: string[] = [];
  session.connect();
  session.on("HeapProfiler.addHeapSnapshotChunk", (message) => chunks.push(message.params.chunk));
  try {
    await session.post("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    return { status: 200, contentType: "application/json", body: chunks.join("") };
  } finally {
    session.disconnect();
  }
}

export const profilingRoutes: HttpRoutes = {
  "/debug/pprof/profile": cpuProfile,
  "/debug/pprof/heap": heapSnapshot,
};
