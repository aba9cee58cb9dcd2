import { createHash } from 'node:crypto';
import type { KubeObject } from '../types.js';

/** The nft table kube-proxy owns in every node namespace. */
export const PROXY_TABLE = 'kube-proxy';
/** The packet mark that asks the postrouting chain to masquerade (kube-proxy's 0x4000). */
export const MASQ_MARK = '0x00004000';

export interface ProxyEndpoint {
  ip: string;
  port: number;
}

/** One service port as the proxy programs it. */
export interface ProxyPort {
  /** `ns/name:port-name` (or `ns/name:<port>` for an unnamed port). */
  id: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** The ClusterIP, or undefined for headless and ExternalName services. */
  clusterIP?: string;
  port: number;
  nodePort?: number;
  /** Ready endpoints, sorted. */
  endpoints: ProxyEndpoint[];
  /** `sessionAffinity: ClientIP` timeout in seconds, or undefined. */
  affinitySeconds?: number;
}

type Json = Record<string, unknown>;

const isIp = (s: unknown): s is string => typeof s === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/**
 * The service ports to program, from Services and their EndpointSlices (`kubernetes.io/service-name`
 * label). An endpoint counts when `conditions.ready` is not false (absent means ready) and it is
 * not terminating; its port is the slice port with the service port's name. Headless,
 * ExternalName and IPv6 entries are skipped.
 */
export function proxyPorts(services: KubeObject[], slices: KubeObject[]): ProxyPort[] {
  const bySvc = new Map<string, KubeObject[]>();
  for (const s of slices) {
    const name = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!name || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata.namespace}/${name}`;
    bySvc.set(key, [...(bySvc.get(key) ?? []), s]);
  }
  const out: ProxyPort[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as Json;
    if (spec.type === 'ExternalName') continue;
    const clusterIP = isIp(spec.clusterIP) ? spec.clusterIP : undefined;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const affinity = spec.sessionAffinity === 'ClientIP' ? (((spec.sessionAffinityConfig as Json | undefined)?.clientIP as Json | undefined)?.timeoutSeconds as number | undefined) ?? 10800 : undefined;
    for (const p of (spec.ports as Json[] | undefined) ?? []) {
      const protocol = String(p.protocol ?? 'TCP').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') continue;
      const name = typeof p.name === 'string' ? p.name : '';
      const nodePort = typeof p.nodePort === 'number' && (spec.type === 'NodePort' || spec.type === 'LoadBalancer') ? p.nodePort : undefined;
      if (!clusterIP && nodePort === undefined) continue;
      const eps = new Map<string, ProxyEndpoint>();
      for (const slice of bySvc.get(key) ?? []) {
        const sp = ((slice.ports as Json[] | undefined) ?? []).find((x) => (x.name ?? '') === name && String(x.protocol ?? 'TCP').toLowerCase() === protocol);
        if (!sp || typeof sp.port !== 'number') continue;
        for (const e of (slice.endpoints as Json[] | undefined) ?? []) {
          const c = (e.conditions ?? {}) as Json;
          if (c.ready === false || c.terminating === true) continue;
          for (const ip of (e.addresses as unknown[] | undefined) ?? []) if (isIp(ip)) eps.set(`${ip}:${sp.port}`, { ip, port: sp.port });
        }
      }
      out.push({
        id: `${key}:${name || p.port}`,
        protocol,
        clusterIP,
        port: Number(p.port),
        nodePort,
        endpoints: [...eps.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip.localeCompare(b.ip))),
        affinitySeconds: affinity,
      });
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function chainId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

export interface ProxyRulesOptions {
  /** The node's own addresses: NodePorts answer there. */
  nodeAddresses: string[];
  /** Traffic from outside this range (node, underlay) is masqueraded on its way to an endpoint. */
  clusterCidr: string;
}

/**
 * The whole `ip kube-proxy` table as one `nft -f -` transaction (create-if-absent, delete,
 * define): atomic, so a packet never sees half an update, and established connections keep
 * their translation in conntrack.
 *
 * - `services` dispatches on `daddr . l4proto . dport` through the `service-ips` verdict map,
 *   and on node address + `l4proto . dport` through `service-nodeports`;
 * - a service chain picks an endpoint chain with `numgen random mod N` (ClientIP affinity
 *   keeps a client on the endpoint it got, through a per-service timed set);
 * - an endpoint chain DNATs, and marks hairpin traffic (a pod reaching itself) for masquerade;
 * - traffic that did not come from a pod (NodePort from the node network, the node itself) is
 *   marked for masquerade too, so replies come back through this node;
 * - new connections to a service port without ready endpoints are rejected in the filter
 *   chains (input/forward/output).
 */
export function renderProxyTable(ports: ProxyPort[], o: ProxyRulesOptions): string {
  const L: string[] = [];
  const svcIps: string[] = [];
  const nodePorts: string[] = [];
  const noEpSvc: string[] = [];
  const noEpNode: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  for (const p of ports) {
    const c = chainId(p.id);
    if (p.endpoints.length === 0) {
      if (p.clusterIP) noEpSvc.push(`${p.clusterIP} . ${p.protocol} . ${p.port}`);
      if (p.nodePort !== undefined) noEpNode.push(`${p.protocol} . ${p.nodePort}`);
      continue;
    }
    if (p.clusterIP) svcIps.push(`${p.clusterIP} . ${p.protocol} . ${p.port} : goto svc-${c}`);
    if (p.nodePort !== undefined) {
      nodePorts.push(`${p.protocol} . ${p.nodePort} : goto ext-${c}`);
      chains.push(`  chain ext-${c} {\n    comment "${p.id} nodePort ${p.nodePort}"\n    jump mark-for-masquerade\n    goto svc-${c}\n  }`);
    }
    const body: string[] = [`    comment "${p.id}"`, `    ip saddr != ${o.clusterCidr} jump mark-for-masquerade`];
    if (p.affinitySeconds !== undefined) {
      for (const i of p.endpoints.keys()) body.push(`    ip saddr @aff-${c}-${i} goto sep-${c}-${i}`);
    }
    if (p.endpoints.length === 1) body.push(`    goto sep-${c}-0`);
    else body.push(`    numgen random mod ${p.endpoints.length} vmap { ${p.endpoints.map((_, i) => `${i} : goto sep-${c}-${i}`).join(', ')} }`);
    chains.push(`  chain svc-${c} {\n${body.join('\n')}\n  }`);
    for (const [i, e] of p.endpoints.entries()) {
      const sep = [`    comment "${p.id} -> ${e.ip}:${e.port}"`, `    ip saddr ${e.ip} jump mark-for-masquerade`];
      if (p.affinitySeconds !== undefined) {
        sets.push(`  set aff-${c}-${i} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${p.affinitySeconds}s\n  }`);
        sep.push(`    update @aff-${c}-${i} { ip saddr }`);
      }
      sep.push(`    meta l4proto ${p.protocol} dnat to ${e.ip}:${e.port}`);
      chains.push(`  chain sep-${c}-${i} {\n${sep.join('\n')}\n  }`);
    }
  }
  const elems = (xs: string[]) => (xs.length ? `\n    elements = { ${xs.join(',\n      ')} }` : '');
  L.push(`table ip ${PROXY_TABLE}`, `delete table ip ${PROXY_TABLE}`, `table ip ${PROXY_TABLE} {`);
  L.push(`  set node-addresses {\n    type ipv4_addr${elems(o.nodeAddresses)}\n  }`);
  L.push(`  map service-ips {\n    type ipv4_addr . inet_proto . inet_service : verdict${elems(svcIps)}\n  }`);
  L.push(`  map service-nodeports {\n    type inet_proto . inet_service : verdict${elems(nodePorts)}\n  }`);
  L.push(`  set no-endpoint-services {\n    type ipv4_addr . inet_proto . inet_service${elems(noEpSvc)}\n  }`);
  L.push(`  set no-endpoint-nodeports {\n    type inet_proto . inet_service${elems(noEpNode)}\n  }`);
  L.push(`  chain mark-for-masquerade {\n    meta mark set meta mark | ${MASQ_MARK}\n  }`);
  L.push(
    `  chain masquerading {\n    type nat hook postrouting priority srcnat; policy accept;\n    meta mark & ${MASQ_MARK} == 0 return\n    meta mark set meta mark ^ ${MASQ_MARK}\n    masquerade fully-random\n  }`,
  );
  L.push(`  chain nat-prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n    jump services\n  }`);
  L.push(`  chain nat-output {\n    type nat hook output priority -100; policy accept;\n    jump services\n  }`);
  L.push(`  chain services {\n    ip daddr . meta l4proto . th dport vmap @service-ips\n    ip daddr @node-addresses meta l4proto . th dport vmap @service-nodeports\n  }`);
  L.push(
    `  chain endpoints-check {\n    ip daddr . meta l4proto . th dport @no-endpoint-services reject\n    ip daddr @node-addresses meta l4proto . th dport @no-endpoint-nodeports reject\n  }`,
  );
  for (const hook of ['input', 'forward', 'output']) {
    L.push(`  chain filter-${hook} {\n    type filter hook ${hook} priority filter - 10; policy accept;\n    ct state new jump endpoints-check\n  }`);
  }
  L.push(...sets, ...chains, '}', '');
  return L.join('\n');
}

/** A script that removes the table (for shutdown; absent is fine because it is created first). */
export function removeProxyTable(): string {
  return `table ip ${PROXY_TABLE}\ndelete table ip ${PROXY_TABLE}\n`;
}
