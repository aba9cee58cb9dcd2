import { ipBatch, nftScript, sysctls, type Cmd } from '../../dataplane/exec.js';

/**
 * The address plan and the host commands of a Kubernetes cluster's node network (flannel's
 * vxlan model, `reference/kubernetes-api.md` §4.6), all inside the cluster's underlay namespace
 * (DESIGN.md §4): nothing here touches the root namespace.
 *
 * ```
 *  underlay <prefix>:  bridge kn0 10.41.0.254/24 ── kn-1 ─┐  ── kn-2 ─┐
 *  node <prefix>-n1:   eth0 10.41.0.1/24 ◄────────────────┘   (node-2: eth0 10.41.0.2 …)
 *                      cni0 10.42.1.1/24 ── vp<uid8> ── pod <prefix>-p-<uid8>: eth0 10.42.1.x/24
 *                      flannel.1 (vxlan id 1, dstport 8472, 10.42.1.0/32, MAC 0a:58:0a:2a:01:00)
 * ```
 * Pod traffic to another node's pod CIDR goes over flannel.1 with its source address kept;
 * pod traffic to the node network is masqueraded to the node's address; nothing else is routed
 * (the node namespaces have no default route, and the underlay never forwards).
 */

/** The node network (one address per node, plus the underlay's own `.254`). */
export const NODE_NET = '10.41.0.0/24';
export const UNDERLAY_NODE_NET_ADDR = '10.41.0.254';
/** The cluster's pod range; each node gets `10.42.<i>.0/24`. */
export const CLUSTER_CIDR = '10.42.0.0/16';
export const SERVICE_CIDR = '10.43.0.0/16';
export const CLUSTER_DNS_IP = '10.43.0.10';
/** MTU of pod interfaces and the overlay (1500 minus the 50 bytes of VXLAN over IPv4). */
export const POD_MTU = 1450;
export const VXLAN_ID = 1;
export const VXLAN_PORT = 8472;
/** The node network bridge inside the underlay. */
export const NODE_BRIDGE = 'kn0';
export const POD_BRIDGE = 'cni0';
export const VXLAN_DEV = 'flannel.1';
/** The nft table of the pod network's own rules (masquerade, forward policy); kube-proxy's is `ip kube-proxy`. */
export const NET_TABLE = 'kube-net';

/** One node's place in the plan; `index` counts from 1. */
export interface NodePlan {
  index: number;
  name: string;
  /** The node's network namespace name. */
  netns: string;
  /** Address on the node network (`10.41.0.<i>`). */
  address: string;
  /** `10.42.<i>.0/24`. */
  podCidr: string;
  /** The bridge's address, the pods' gateway (`10.42.<i>.1`). */
  gateway: string;
  /** flannel.1's address (`10.42.<i>.0`) and its fixed MAC. */
  vtepIp: string;
  vtepMac: string;
  /** The veth end in the underlay, on the node bridge. */
  uplinkDev: string;
}

/** The plan of node `index` (1…250) of the cluster whose underlay is `prefix`. */
export function nodePlan(prefix: string, index: number, name = `node-${index}`): NodePlan {
  if (!Number.isInteger(index) || index < 1 || index > 250) throw new Error(`node index ${index} is outside 1…250 (the node network is a /24)`);
  const hex = index.toString(16).padStart(2, '0');
  return {
    index,
    name,
    netns: `${prefix}-n${index}`,
    address: `10.41.0.${index}`,
    podCidr: `10.42.${index}.0/24`,
    gateway: `10.42.${index}.1`,
    vtepIp: `10.42.${index}.0`,
    // Locally administered, unicast; unique per node index.
    vtepMac: `0a:58:0a:2a:${hex}:00`,
    uplinkDev: `kn-${index}`,
  };
}

/** The pod network namespace of pod `uid` (`<prefix>-p-<first 8 characters of the uid>`). */
export function podNetnsName(prefix: string, uid: string): string {
  const id = uid.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  if (id.length < 4) throw new Error(`pod uid ${JSON.stringify(uid)} is too short to name a network namespace`);
  return `${prefix}-p-${id}`;
}

/** The node-side veth of a pod (15 characters at most). */
export function podHostDev(uid: string): string {
  return `vp${uid.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
}

/** The node network bridge inside the underlay (idempotent: `replace`-style commands only where possible). */
export function planUnderlayBridge(underlay: string, bridgeExists: boolean): Cmd[] {
  const lines: string[] = [];
  if (!bridgeExists) lines.push(`link add ${NODE_BRIDGE} type bridge`);
  lines.push(`link set ${NODE_BRIDGE} up`, `addr replace ${UNDERLAY_NODE_NET_ADDR}/24 dev ${NODE_BRIDGE}`);
  return [ipBatch(underlay, lines)];
}

/**
 * The commands that build node `n` from nothing: its namespace, the veth to the node bridge,
 * cni0, flannel.1, forwarding (inside the node only) and the pod network's nft table.
 * `peers` are the other nodes (routes, neighbours and fdb entries through flannel.1).
 */
export function planNode(underlay: string, n: NodePlan, peers: NodePlan[]): Cmd[] {
  const cmds: Cmd[] = [];
  cmds.push({ argv: ['ip', 'netns', 'add', n.netns] });
  cmds.push({ argv: ['ip', '-n', underlay, 'link', 'add', n.uplinkDev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns] });
  cmds.push(ipBatch(underlay, [`link set ${n.uplinkDev} master ${NODE_BRIDGE} up`]));
  cmds.push(
    sysctls(n.netns, {
      'net.ipv4.ip_forward': '1',
      'net.ipv6.conf.all.disable_ipv6': '1',
      'net.ipv6.conf.default.disable_ipv6': '1',
      // Bridged pod-to-pod traffic goes through the ip hooks, so same-node ClusterIP replies are un-NATed.
      'net.bridge.bridge-nf-call-iptables': '1',
    }),
  );
  cmds.push(
    ipBatch(n.netns, [
      'link set lo up',
      `addr add ${n.address}/24 dev eth0`,
      'link set eth0 up',
      `link add ${POD_BRIDGE} type bridge`,
      `addr add ${n.gateway}/24 dev ${POD_BRIDGE}`,
      `link set ${POD_BRIDGE} mtu ${POD_MTU} up`,
      `link add ${VXLAN_DEV} type vxlan id ${VXLAN_ID} local ${n.address} dev eth0 dstport ${VXLAN_PORT} nolearning`,
      `link set ${VXLAN_DEV} address ${n.vtepMac} mtu ${POD_MTU} up`,
      `addr add ${n.vtepIp}/32 dev ${VXLAN_DEV}`,
      // Connections to a ClusterIP without endpoints are delivered locally (and rejected by
      // kube-proxy's filter chain, or refused by the kernel) instead of dying in routing.
      `route add local ${SERVICE_CIDR} dev lo`,
    ]),
  );
  cmds.push(...planPeers(n, peers));
  cmds.push(nftScript(n.netns, netTableScript(n)));
  return cmds;
}

/** Routes, neighbours and fdb entries of `n` for each peer (idempotent: replace/append). */
export function planPeers(n: NodePlan, peers: NodePlan[]): Cmd[] {
  const lines: string[] = [];
  for (const p of peers) {
    if (p.index === n.index) continue;
    lines.push(`neigh replace ${p.vtepIp} lladdr ${p.vtepMac} dev ${VXLAN_DEV} nud permanent`);
    lines.push(`route replace ${p.podCidr} via ${p.vtepIp} dev ${VXLAN_DEV} onlink`);
  }
  if (lines.length === 0) return [];
  const fdb = peers.filter((p) => p.index !== n.index).map((p) => `fdb replace ${p.vtepMac} dev ${VXLAN_DEV} dst ${p.address} self permanent`);
  return [ipBatch(n.netns, lines), { argv: ['bridge', '-n', n.netns, '-batch', '-'], input: fdb.join('\n') + '\n' }];
}

/**
 * The pod network's own table in a node: pod egress toward the node network (and nowhere
 * else) is masqueraded to the node's address; forwarding is allowed only between the pod
 * CIDRs, the node network and the service range, so a pod can never reach anything else even
 * if a route appeared.
 */
export function netTableScript(n: NodePlan): string {
  return `table ip ${NET_TABLE}
delete table ip ${NET_TABLE}
table ip ${NET_TABLE} {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ip saddr { ${CLUSTER_CIDR}, ${NODE_NET} } ip daddr { ${CLUSTER_CIDR}, ${NODE_NET} } accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat + 10; policy accept;
    ip saddr ${n.podCidr} ip daddr ${NODE_NET} oifname "eth0" masquerade
  }
}
`;
}

/** The commands that put one pod on its node's bridge (the namespace must already exist). */
export function planPodNetns(n: NodePlan, podNs: string, uid: string, ip: string): Cmd[] {
  const host = podHostDev(uid);
  return [
    { argv: ['ip', '-n', n.netns, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs] },
    ipBatch(n.netns, [`link set ${host} master ${POD_BRIDGE} mtu ${POD_MTU} up`, `link set dev ${host} type bridge_slave hairpin on`]),
    ipBatch(podNs, ['link set lo up', `link set eth0 mtu ${POD_MTU} up`, `addr add ${ip}/24 dev eth0`, `route add default via ${n.gateway} dev eth0`]),
  ];
}
