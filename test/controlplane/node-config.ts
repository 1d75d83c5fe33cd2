// The local node's configuration files, as pure functions of where things live. Everything here follows the
// network rule of the local cluster: Pods on a bridge inside the machine (198.18.0.0/24) with no NAT and no
// default route, Services on 198.19.0.0/16, DNS for cluster.local only, and every image registry sent to a closed
// loopback port so that a pull of an image that was not imported fails at once, without a DNS query.
import { NODE_ADDRESS, SERVICE_RANGE } from "./controlplane.ts";

/** Host-global names of the node. Only the holder of the node lock (node-lock.ts) may create or remove them. */
export const NODE = {
  name: "hourglass-node",
  bridge: "hourglass0",
  /** The bridge's address: the node IP, the kubelet's listen address and CoreDNS's. The kubelet refuses loopback. */
  ip: NODE_ADDRESS,
  podSubnet: "198.18.0.0/24",
  podRange: { start: "198.18.0.10", end: "198.18.0.250" },
  serviceRange: SERVICE_RANGE,
  /** Every cgroup hierarchy gets this directory; the kubelet puts kubepods under it. */
  cgroupRoot: "hourglass-node",
  /** The nft tables kube-proxy (nftables mode) creates. */
  nftTables: [
    ["ip", "kube-proxy"],
    ["ip6", "kube-proxy"],
  ] as const,
  /** The node's own nft table, confining what the bridge forwards to the bridge (bridgeForwardRules). */
  forwardTable: ["ip", "hourglass-node"] as const,
  /** A registry nobody serves: containerd's hosts configuration sends every pull here. */
  closedRegistry: "http://127.0.0.1:1",
};

export interface NodePaths {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  cniConfDir: string;
  cniBinDir: string;
  ipamDir: string;
  registryHostsDir: string;
  kubeletRoot: string;
  kubeletCertDir: string;
  podLogsDir: string;
  volumePluginDir: string;
  resolvConf: string;
}

export function containerdConfig(p: NodePaths, sandboxImage: string): string {
  return `version = 3
root = '${p.containerdRoot}'
state = '${p.containerdState}'
temp = '${p.containerdRoot}/tmp'
# No drop-ins from the machine's own configuration.
imports = []
# Plugins that would need cgo, another kernel feature, or write outside the private directories.
disabled_plugins = [
  'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.erofs', 'io.containerd.snapshotter.v1.blockfile', 'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing', 'io.containerd.nri.v1.nri',
]
[grpc]
  address = '${p.containerdSocket}'
[ttrpc]
  address = ''
[plugins.'io.containerd.internal.v1.opt']
  path = '${p.containerdRoot}/opt'
[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = '${p.containerdRoot}/image-verifiers'
[plugins.'io.containerd.transfer.v1.local']
  config_path = '${p.registryHostsDir}'
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '${sandboxImage}'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '${p.registryHostsDir}'
[plugins.'io.containerd.cri.v1.runtime']
  # This machine lacks CAP_SYS_RESOURCE: a sandbox's oom_score_adj of -998 would make runc fail.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['${p.cniBinDir}']
    conf_dir = '${p.cniConfDir}'
`;
}

/** containerd's `_default/hosts.toml`: every registry is the closed port, for pulls and resolves alike. */
export function registryHosts(): string {
  return `server = '${NODE.closedRegistry}'
[host.'${NODE.closedRegistry}']
  capabilities = ['pull', 'resolve']
`;
}

/** bridge + host-local: not a gateway (no address put on the bridge, no ip_forward), no masquerade, and one route:
 * the Service range via the node, whose kube-proxy DNATs it to an endpoint on the host (the apiserver's relay,
 * CoreDNS). No default route: an address outside the bridge and the Service range stays unreachable. */
export function cniConflist(p: NodePaths): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "hourglass-pods",
      plugins: [
        {
          type: "bridge",
          bridge: NODE.bridge,
          isGateway: false,
          ipMasq: false,
          hairpinMode: false,
          ipam: {
            type: "host-local",
            dataDir: p.ipamDir,
            ranges: [
              [{ subnet: NODE.podSubnet, rangeStart: NODE.podRange.start, rangeEnd: NODE.podRange.end }],
            ],
            routes: [{ dst: NODE.serviceRange, gw: NODE.ip }],
          },
        },
      ],
    },
    null,
    2,
  );
}

/**
 * A Pod dialling a Service whose endpoint is another Pod sends to the node (its route for the Service range),
 * kube-proxy DNATs the packet to that Pod, and the node forwards it back onto the bridge; the reply goes Pod to
 * Pod, and br_netfilter's conntrack undoes the DNAT. So the bridge forwards (net.ipv4.conf.<bridge>.forwarding:
 * packets that came in on it, the setting going with the link), and this table, made first, drops whatever would
 * be forwarded from the bridge anywhere else or onto it from elsewhere: forwarded packets stay on the bridge, and
 * nothing is NATed out. Other bridges of the machine (podman's networks) are left as they are.
 */
export function bridgeForwardRules(): string {
  const [family, table] = NODE.forwardTable;
  return `table ${family} ${table} {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${NODE.bridge}" oifname != "${NODE.bridge}" drop
    oifname "${NODE.bridge}" iifname != "${NODE.bridge}" drop
  }
}
`;
}

export function kubeletConfig(
  p: NodePaths,
  ports: { kubelet: number; healthz: number },
  certs: { caCert: string; servingCert: string; servingKey: string },
): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 host: the kubelet refuses to start on one unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${NODE.cgroupRoot}
containerRuntimeEndpoint: unix://${p.containerdSocket}
address: ${NODE.ip}
port: ${ports.kubelet}
healthzBindAddress: 127.0.0.1
healthzPort: ${ports.healthz}
readOnlyPort: 0
tlsCertFile: ${certs.servingCert}
tlsPrivateKeyFile: ${certs.servingKey}
# The kubelet's API asks the apiserver who a caller is and what it may do.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${certs.caCert}}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [${NODE.ip}]
resolvConf: ${p.resolvConf}
failSwapOn: false
serializeImagePulls: false
maxPods: 30
# No KUBE-FIREWALL / canary chains in the host's iptables.
makeIPTablesUtilChains: false
podLogsDir: ${p.podLogsDir}
volumePluginDir: ${p.volumePluginDir}
# The kernel tunables the kubelet wants are checked, never written (node.ts shows it the values it expects).
protectKernelDefaults: true
# The disk is shared: never evict or collect the imported images because of what others store.
evictionHard: {memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
shutdownGracePeriod: 0s
# A renewed Secret or ConfigMap reaches a Pod's volume when the kubelet next syncs the Pod: every syncFrequency
# plus up to half of it (the default 1m gives up to 90 s, what a kind node shows). 10s bounds it by 15 s.
syncFrequency: 10s
`;
}

export function kubeProxyConfig(kubeconfig: string, ports: { healthz: number; metrics: number }): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: ${NODE.name}
clientConnection: {kubeconfig: ${kubeconfig}}
clusterCIDR: ${NODE.podSubnet}
nodePortAddresses: [${NODE.ip}/32]
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:${ports.healthz}
metricsBindAddress: 127.0.0.1:${ports.metrics}
# Zero leaves the machine's conntrack sysctls as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`;
}

/** cluster.local only: no forward plugin, so a name outside the cluster is REFUSED rather than asked upstream. CoreDNS
 * runs in the node's network namespace (hostNetwork) and reads the cluster as its ServiceAccount, in-cluster. */
export function corefile(ports: { health: number; ready: number }): string {
  return `cluster.local:53 {
    bind ${NODE.ip}
    errors
    log
    health 127.0.0.1:${ports.health}
    ready 127.0.0.1:${ports.ready}
    kubernetes cluster.local {
        ttl 5
    }
}
`;
}

const COREDNS_LABELS = { "k8s-app": "kube-dns" };

/**
 * CoreDNS as a cluster runs it: deployment/coredns in kube-system (the troubleshooting guide reads its log and
 * restarts it there), its Corefile in ConfigMap coredns, ServiceAccount coredns with the read access of kubeadm's
 * system:coredns. It listens on the node IP, the kubelet's clusterDNS, so Pods and the host's cluster-name lookups
 * reach it alike. A restart stops the old Pod before the new one binds the address.
 */
export function corednsManifests(image: string, ports: { health: number; ready: number }): string {
  const meta = (name: string, namespaced = true) => ({
    name,
    ...(namespaced ? { namespace: "kube-system" } : {}),
    labels: COREDNS_LABELS,
  });
  const items = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("coredns") },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: meta("system:coredns", false),
      rules: [
        {
          apiGroups: [""],
          resources: ["endpoints", "services", "pods", "namespaces"],
          verbs: ["list", "watch"],
        },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta("system:coredns", false),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: "kube-system" }],
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta("coredns"), data: { Corefile: corefile(ports) } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("coredns"),
      spec: {
        replicas: 1,
        selector: { matchLabels: COREDNS_LABELS },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: {
          metadata: { labels: COREDNS_LABELS },
          spec: {
            serviceAccountName: "coredns",
            hostNetwork: true,
            dnsPolicy: "Default",
            priorityClassName: "system-cluster-critical",
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: "coredns",
                image,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                readinessProbe: {
                  httpGet: { host: "127.0.0.1", path: "/ready", port: ports.ready },
                  periodSeconds: 2,
                },
                livenessProbe: {
                  httpGet: { host: "127.0.0.1", path: "/health", port: ports.health },
                  periodSeconds: 10,
                },
                resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
                },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
  ];
  return JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2);
}

/** For the kubelet's resolvConf and for processes on the host that must resolve cluster names. */
export function resolvConf(): string {
  return `nameserver ${NODE.ip}\noptions ndots:5\n`;
}
