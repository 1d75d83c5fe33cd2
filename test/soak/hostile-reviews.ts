// AdmissionReviews an attacker on the webhook port could send, and the ordinary ones they are mixed with, written
// to files for the load processes (bench/https-load.ts) to send over and over.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { WEBHOOK_PATHS } from "../../webhooks/hourglass-webhooks.ts";
import { reviewText } from "../fixtures/admission/reviews.ts";

export interface LoadBody {
  name: string;
  path: string;
  file: string;
  /** Callers sending it at once. */
  concurrency: number;
}

function review(fixture: string, change: (object: Record<string, unknown>) => void): string {
  const parsed = JSON.parse(reviewText(fixture));
  change(parsed.request.object);
  return JSON.stringify(parsed);
}

function aliasBomb(): string {
  const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(",")}]`,
    );
  return lines.join("\n");
}

/** The mix, 16 callers in all: every kind of hostile body beside ordinary reviews. */
export function writeLoadBodies(dir: string): LoadBody[] {
  const bodies: Array<Omit<LoadBody, "file"> & { text: string }> = [
    {
      name: "ordinary Performer",
      path: WEBHOOK_PATHS.validatePerformer,
      concurrency: 4,
      text: reviewText("performer-complete-create"),
    },
    {
      name: "6 MiB annotation",
      path: WEBHOOK_PATHS.mutatePerformer,
      concurrency: 3,
      text: review("performer-minimal-create", (o) => {
        (o.metadata as Record<string, unknown>).annotations = { big: "x".repeat(6 << 20) };
      }),
    },
    {
      name: "100,000 levels of nesting",
      path: WEBHOOK_PATHS.mutatePerformer,
      concurrency: 2,
      text: review("performer-minimal-create", (o) => {
        (o.spec as Record<string, unknown>).scheduling = { affinity: "HOLE" };
      }).replace('"HOLE"', `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`),
    },
    {
      name: "2.8 M-digit quantity",
      path: WEBHOOK_PATHS.validatePerformer,
      concurrency: 2,
      text: review("performer-minimal-create", (o) => {
        (o.spec as Record<string, unknown>).resources = {
          requests: { cpu: "9".repeat(2_800_000) },
          limits: { cpu: "1", memory: "1Gi" },
        };
      }),
    },
    {
      name: "YAML alias bomb",
      path: WEBHOOK_PATHS.validateExecutorConfig,
      concurrency: 2,
      text: review("executor-config-valid-create", (o) => {
        (o.data as Record<string, unknown>)["config.yaml"] = aliasBomb();
      }),
    },
    {
      name: "cpu 2^53+1 as a JSON number",
      path: WEBHOOK_PATHS.validatePerformer,
      concurrency: 3,
      text: review("performer-minimal-create", (o) => {
        (o.spec as Record<string, unknown>).resources = {
          requests: { cpu: "EXACT" },
          limits: { cpu: "9007199254740992", memory: "1Gi" },
        };
      }).replace('"EXACT"', "9007199254740993"),
    },
  ];
  return bodies.map(({ text, ...body }, i) => {
    const file = join(dir, `body-${i}.json`);
    writeFileSync(file, text);
    return { ...body, file };
  });
}
