// `make manifests`: writes the manifests generated from code, where kustomize (and the local control plane's
// installer) pick them up: the Performer CRD built by src/api/crd.ts, and the webhook registrations from
// webhooks/registrations.ts; then the Helm chart charts/hourglass, generated from config/ (scripts/chart).
// test/unit/scripts/generated-manifests.test.ts fails when a file is out of date.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generatedManifests } from "./generated-manifests.ts";

for (const { file, text } of generatedManifests()) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
