// The local node's configuration keeps to the network rule of the local cluster (DESIGN.md, "Local cluster"):
// nothing it configures may send a packet off the machine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { nodePaths } from "../../../test/controlplane/node.ts";
import {
  bridgeForwardRules,
  cniConflist,
  containerdConfig,
  corednsManifests,
  corefile,
  kubeletConfig,
  kubeProxyConfig,
  NODE,
  registryHosts,
  resolvConf,
} from "../../../test/controlplane/node-config.ts";

const paths = nodePaths("/tmp/node-under-test");

describe("local node configuration", () => {
  it("Pods on the reserved benchmark range, never on RFC 1918 space", () => {
    for (const range of [NODE.podSubnet, NODE.serviceRange, `${NODE.ip}/32`]) {
      assert.match(range, /^198\.1[89]\./, range);
    }
  });

  it("CNI: no gateway, no masquerade, only the Service range routed (via the node; no default route in a Pod)", () => {
    const conf = JSON.parse(cniConflist(paths));
    const bridge = conf.plugins[0];
    assert.equal(bridge.isGateway, false);
    assert.equal(bridge.ipMasq, false);
    assert.equal(bridge.isDefaultGateway ?? false, false);
    assert.deepEqual(bridge.ipam.routes, [{ dst: "198.19.0.0/16", gw: NODE.ip }]);
    assert.equal(bridge.ipam.ranges[0][0].subnet, NODE.podSubnet);
    assert.equal(bridge.ipam.dataDir, paths.ipamDir, "IPAM state stays in the node's directory");
  });

  it("containerd: private directories, every registry sent to a closed loopback port", () => {
    const config = containerdConfig(paths, "localhost/hourglass/pause:1");
    for (const dir of [
      paths.containerdRoot,
      paths.containerdState,
      paths.cniConfDir,
      paths.registryHostsDir,
    ]) {
      assert.ok(config.includes(`'${dir}'`), dir);
    }
    assert.doesNotMatch(config, /\/etc\/containerd|\/var\/lib\/containerd/);
    assert.match(config, /restrict_oom_score_adj = true/);
    assert.match(registryHosts(), /^server = 'http:\/\/127\.0\.0\.1:1'$/m);
  });

  it("DNS: cluster.local only, no forwarding; Pods and host processes ask the node's CoreDNS", () => {
    const dns = corefile({ health: 1, ready: 2 });
    assert.doesNotMatch(dns, /forward|proxy/);
    assert.match(dns, /^cluster\.local:53 \{/);
    assert.equal(dns.match(/^\S+:53 \{/gm)?.length, 1, "one zone");
    assert.equal(resolvConf().match(/nameserver (\S+)/)?.[1], NODE.ip);
    const kubelet = parse(
      kubeletConfig(paths, { kubelet: 1, healthz: 2 }, { caCert: "c", servingCert: "s", servingKey: "k" }),
    );
    assert.deepEqual(kubelet.clusterDNS, [NODE.ip]);
    assert.equal(kubelet.resolvConf, paths.resolvConf);
  });

  it("CoreDNS: deployment/coredns in kube-system with its Corefile in a ConfigMap, on the node's network, restarted old-first", () => {
    const list = JSON.parse(corednsManifests("localhost/hourglass/coredns:v1", { health: 1, ready: 2 }));
    const byKind = Object.fromEntries(list.items.map((i: { kind: string }) => [i.kind, i]));
    const deployment = byKind.Deployment;
    assert.deepEqual([deployment.metadata.name, deployment.metadata.namespace], ["coredns", "kube-system"]);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, "Default", "CoreDNS does not ask itself");
    assert.equal(
      deployment.spec.strategy.rollingUpdate.maxSurge,
      0,
      "two cannot bind the node IP's port 53 at once",
    );
    assert.equal(byKind.ConfigMap.data.Corefile, corefile({ health: 1, ready: 2 }));
    assert.equal(pod.containers[0].readinessProbe.httpGet.port, 2);
    assert.equal(byKind.ClusterRoleBinding.subjects[0].name, pod.serviceAccountName);
    assert.doesNotMatch(byKind.ConfigMap.data.Corefile, /kubeconfig/, "in-cluster, as its ServiceAccount");
  });

  it("kubelet: its API authenticated and authorized through the apiserver; no iptables chains, no sysctl writes", () => {
    const kubelet = parse(
      kubeletConfig(paths, { kubelet: 1, healthz: 2 }, { caCert: "c", servingCert: "s", servingKey: "k" }),
    );
    assert.equal(kubelet.authentication.anonymous.enabled, false);
    assert.equal(kubelet.authentication.webhook.enabled, true);
    assert.equal(kubelet.authorization.mode, "Webhook");
    assert.equal(kubelet.readOnlyPort, 0);
    assert.equal(kubelet.makeIPTablesUtilChains, false);
    assert.equal(kubelet.protectKernelDefaults, true);
    assert.equal(kubelet.address, NODE.ip);
    // A renewed Secret (the webhook's certificate) reaches the Pods' volumes within syncFrequency × 1.5.
    assert.equal(kubelet.syncFrequency, "10s");
  });

  it("forwarding: only from the bridge back onto it; anything else forwarded to or from the bridge is dropped", () => {
    const rules = bridgeForwardRules();
    assert.match(rules, new RegExp(`^table ${NODE.forwardTable.join(" ")} \\{`));
    assert.match(rules, /type filter hook forward priority filter; policy accept;/);
    const drops = rules
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.endsWith(" drop"));
    assert.deepEqual(drops, [
      'iifname "hourglass0" oifname != "hourglass0" drop',
      'oifname "hourglass0" iifname != "hourglass0" drop',
    ]);
    assert.doesNotMatch(rules, /masquerade|snat|dnat|accept$/m, "no NAT, nothing accepted beyond the policy");
  });

  it("kube-proxy: NodePorts only on the node IP, conntrack sysctls left alone", () => {
    const proxy = parse(kubeProxyConfig("/kc", { healthz: 1, metrics: 2 }));
    assert.equal(proxy.mode, "nftables");
    assert.deepEqual(proxy.nodePortAddresses, [`${NODE.ip}/32`]);
    assert.deepEqual(proxy.conntrack, {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: "0s",
      tcpCloseWaitTimeout: "0s",
    });
  });
});
