// Host processes that must resolve cluster.local names (the executor reaching `performer-<name>.<ns>.svc...`)
// run in a mount namespace of their own whose /etc/resolv.conf names the node's CoreDNS, as a Pod's does. The
// machine's resolver is off the machine and never sees those names; nothing else on the host is changed.

/** The command and arguments that run `command args` with `resolvConf` as its /etc/resolv.conf. */
export function withClusterDns(resolvConf: string, command: string, args: string[]): [string, string[]] {
  return [
    "unshare",
    ["--mount", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, command, ...args],
  ];
}
