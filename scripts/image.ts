// `make image`: the operator/executor image and the sample performer's, built with buildah from this checkout
// (test/controlplane/node-images.ts; no Docker engine), cached by the content of their inputs. `make image-load`:
// the same images imported into the local cluster's containerd, as `make kind-load` loads them into kind.
import { parseArgs } from "node:util";
import { runningControlPlane } from "../test/controlplane/controlplane.ts";
import { importImages } from "../test/controlplane/node.ts";
import { ensureProjectImages } from "../test/controlplane/node-images.ts";
import { CLUSTER_DIR } from "./cluster-dir.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);
const { positionals } = parseArgs({ allowPositionals: true });
const started = Date.now();
const images = await ensureProjectImages();
for (const image of images) say(`${image.ref}: ${image.archive}`);
say(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (positionals[0] === "load") {
  const cp = runningControlPlane(CLUSTER_DIR);
  if (!cp) throw new Error("the local cluster is not running: `make cluster-up` starts it");
  await importImages(
    cp,
    images.map((i) => i.archive),
  );
  say(`imported into the local node's containerd: ${images.map((i) => i.ref).join(", ")}`);
}
