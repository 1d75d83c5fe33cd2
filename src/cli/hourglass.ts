#!/usr/bin/env node
// hourglass: tools for people running Hourglass on Kubernetes. `hourglass doctor` runs the troubleshooting
// guide's diagnosis against the current cluster; installed as `kubectl-hourglass` it is `kubectl hourglass doctor`.
// Exit codes: 0 healthy, 1 problems found (or the cluster could not be asked), 2 usage errors.
import { writeBundle } from "../doctor/bundle.ts";
import { runDoctor } from "../doctor/checks.ts";
import { exitCodeOf, findingsJson, findingsText } from "../doctor/finding.ts";
import { apiErrorMessage } from "../kube/api-errors.ts";
import { loadKubeConfig } from "../kube/kubeconfig.ts";
import { type Command, dispatchCommand, oneOf, parseFlags, runProgram, UsageError } from "./args.ts";

const USAGE = `Usage: hourglass <command> [flags]

Commands:
  doctor   diagnose the operator, the executors and the Performers of the current cluster

Run \`hourglass <command> --help\` for a command's flags. As a kubectl plugin: kubectl hourglass doctor.
`;

const DOCTOR_USAGE = `Usage: hourglass doctor [--namespace NS] [--output text|json] [--kubeconfig FILE] [--bundle DIR]

Runs the troubleshooting guide's checks: the operator's and the executors' RBAC, the operator Deployment and its
leader Lease, the webhook configurations (CA bundle, endpoints), each executor config, each Performer (phase,
conditions, its Pod, its Service), resource quotas. Prints each problem with its fix.
  --namespace NS   only this namespace's executors and Performers (default: every namespace that has any)
  --output FORMAT  text (default) or json
  --kubeconfig F   the cluster to ask (default: $KUBECONFIG, else ~/.kube/config, or the Pod's service account)
  --bundle DIR     also write DIR/hourglass-diagnostics-<time>.tar.gz: versions, nodes, masked executor
                   configs, operator and executor logs, events and our objects' YAML, for a bug report
Exit codes: 0 healthy, 1 problems found or the cluster could not be asked, 2 usage errors.
`;

const FLAGS = {
  namespace: { type: "string", short: "n" },
  output: { type: "string", short: "o", default: "text" },
  kubeconfig: { type: "string" },
  bundle: { type: "string" },
} as const;

async function doctor(args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  const output = oneOf("output", flags.output, ["text", "json"] as const);
  if (flags.namespace === "") throw new UsageError("--namespace: give a namespace name");
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let report: Awaited<ReturnType<typeof runDoctor>>;
  try {
    report = await runDoctor({ kubeConfig, ...(flags.namespace ? { namespace: flags.namespace } : {}) });
  } catch (error) {
    process.stderr.write(`hourglass doctor: the cluster could not be asked: ${apiErrorMessage(error)}\n`);
    return 1;
  }
  const performers = report.performers.map(
    (p) => `performer/${p.name} -n ${p.namespace}: ${p.phase}; the executor dials ${p.endpoint}`,
  );
  const text = findingsText(report.findings, report.checked);
  process.stdout.write(
    output === "json"
      ? findingsJson(report.findings, report.checked, report.performers)
      : `${performers.map((line) => `${line}\n`).join("")}${text}`,
  );
  if (flags.bundle) {
    const namespaces = [...new Set(report.performers.map((p) => p.namespace).concat(flags.namespace ?? []))];
    const tarball = await writeBundle(
      kubeConfig,
      namespaces,
      `${performers.join("\n")}\n${text}`,
      flags.bundle,
    );
    process.stderr.write(`diagnostics bundle: ${tarball}\n`);
  }
  return exitCodeOf(report.findings);
}

const COMMANDS: Record<string, Command> = { doctor: { usage: DOCTOR_USAGE, run: doctor } };

await runProgram("hourglass", USAGE, () => dispatchCommand(USAGE, COMMANDS, process.argv.slice(2)));
