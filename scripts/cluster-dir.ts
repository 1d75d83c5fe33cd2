// Where `make cluster-up` keeps the local cluster that `make deploy-local` installs into.
import { join } from "node:path";
import { LOCAL_DIR } from "../test/controlplane/cli.ts";

export const CLUSTER_DIR = join(LOCAL_DIR, "cluster");
/** A kubectl bound to the local cluster's kubeconfig, for the Makefile's deploy targets. */
export const CLUSTER_KUBECTL = join(CLUSTER_DIR, "kubectl");
