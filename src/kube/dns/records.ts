import type { KubeObject } from '../types.js';
import { canonicalIp, dashedIp, reverseName } from './ip.js';
import { CLASS_IN, canonicalName, nameToLabels, type ResourceRecord, type SoaData } from './wire.js';

/**
 * The records of the cluster zone, computed from Services, EndpointSlices and Pods
 * (kubernetes/dns specification 1.1.0, `reference/kubernetes-api.md` §4.5):
 *
 * - `<svc>.<ns>.svc.<zone>`: A/AAAA → cluster IPs; headless → one per ready endpoint address
 *   (all addresses with `publishNotReadyAddresses`); ExternalName → CNAME.
 * - headless endpoints: `<hostname>.<svc>.<ns>.svc.<zone>` when the endpoint has a hostname,
 *   else `<a-b-c-d>.<svc>.<ns>.svc.<zone>`; both A/AAAA, and the PTR of the address points
 *   there.
 * - SRV `_<port>._<proto>.<svc>.<ns>.svc.<zone>` per named port: `0 100 <port> <svc name>`;
 *   headless: one per endpoint, target the endpoint's name, port the endpoint's port.
 * - PTR of cluster IPs → the service name; of pod IPs (not yet named) → `<a-b-c-d>.<ns>.pod.<zone>`.
 * - zone apex: SOA, NS `ns.dns.<zone>` (A → the `kube-system/kube-dns` cluster IP if any);
 *   TXT `dns-version.<zone>` → `1.1.0`.
 *
 * Pod A records (`<a-b-c-d>.<ns>.pod.<zone>`) are not stored: the answerer computes them from
 * the name (see `podAddress`). An endpoint's `conditions.ready` left unset counts as ready
 * (as the EndpointSlice API defines). Objects with malformed fields (a bad IP, an invalid
 * hostname label) are skipped record by record, never failing the whole zone.
 */
export interface ZoneIndex {
  /** The cluster domain, canonical (`cluster.local`). */
  readonly domain: string;
  readonly ttl: number;
  /** Canonical owner name → records. */
  readonly records: Map<string, ResourceRecord[]>;
  /** Every name that exists: owners and their ancestors inside an authoritative zone. */
  readonly names: Set<string>;
  /** Namespace → IPs of its pods (for `pods: 'verified'`). */
  readonly podIps: Map<string, Set<string>>;
  readonly soa: SoaData;
}

export interface ZoneObjects {
  services: KubeObject[];
  endpointSlices: KubeObject[];
  pods: KubeObject[];
}

/** The zones the server answers with authority: the cluster domain and the reverse trees. */
export function authorityOf(domain: string, name: string): string | undefined {
  for (const zone of [domain, 'in-addr.arpa', 'ip6.arpa']) if (name === zone || name.endsWith(`.${zone}`)) return zone;
  return undefined;
}

type Json = Record<string, unknown>;
const asObj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function buildIndex(domain: string, objs: ZoneObjects, opts: { ttl: number; serial: number }): ZoneIndex {
  const records = new Map<string, ResourceRecord[]>();
  const names = new Set<string>();
  const podIps = new Map<string, Set<string>>();
  const ttl = opts.ttl;
  const soa: SoaData = { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: opts.serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl };

  // Owner names are built from lower-case parts (validated labels, canonical domain and IPs).
  const add = (name: string, rr: Omit<ResourceRecord, 'name' | 'class' | 'ttl'>): void => {
    const zone = authorityOf(domain, name);
    if (!zone) return;
    const full = { ...rr, name, class: CLASS_IN, ttl } as ResourceRecord;
    let list = records.get(name);
    if (!list) records.set(name, (list = []));
    else {
      const id = JSON.stringify(full.data);
      if (list.some((x) => x.type === full.type && JSON.stringify(x.data) === id)) return;
    }
    list.push(full);
    for (let n = name; !names.has(n); n = n.slice(n.indexOf('.') + 1)) {
      names.add(n);
      if (n === zone) break;
    }
  };
  const addAddress = (owner: string, ip: string): void => add(owner, { type: ip.includes(':') ? 'AAAA' : 'A', data: ip });
  const addPtr = (ip: string, target: string): void => {
    const rev = reverseName(ip);
    if (rev && !records.has(rev)) add(rev, { type: 'PTR', data: target });
  };

  add(domain, { type: 'SOA', data: soa });
  add(domain, { type: 'NS', data: `ns.dns.${domain}` });
  add(`dns-version.${domain}`, { type: 'TXT', data: ['1.1.0'] });

  const slicesBySvc = new Map<string, KubeObject[]>();
  for (const s of objs.endpointSlices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc || !s.metadata.namespace) continue;
    const k = `${s.metadata.namespace}/${svc}`;
    slicesBySvc.set(k, [...(slicesBySvc.get(k) ?? []), s]);
  }

  // Sorted so that the first service to claim an address owns its PTR, whatever the cache order.
  const services = objs.services.map((o) => [key(o), o] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, o]) => o);
  for (const svc of services) {
    const ns = svc.metadata.namespace;
    const name = svc.metadata.name;
    if (!ns || !name || !LABEL.test(ns) || !LABEL.test(name)) continue;
    const spec = asObj(svc.spec);
    const base = `${name}.${ns}.svc.${domain}`;
    if (spec.type === 'ExternalName') {
      const target = asStr(spec.externalName);
      if (target && validName(target)) add(base, { type: 'CNAME', data: canonicalName(target) });
      continue;
    }
    const ips = (asArr(spec.clusterIPs).length ? asArr(spec.clusterIPs) : [spec.clusterIP]).map((ip) => (typeof ip === 'string' ? canonicalIp(ip) : undefined));
    const headless = spec.clusterIP === 'None' || (spec.clusterIP === undefined && ips.every((ip) => !ip));
    if (!headless) {
      for (const ip of ips) {
        if (!ip) continue;
        addAddress(base, ip);
        addPtr(ip, base);
        if (ns === 'kube-system' && name === 'kube-dns') addAddress(`ns.dns.${domain}`, ip);
      }
      for (const p of asArr(spec.ports).map(asObj)) {
        const pname = asStr(p.name);
        const port = Number(p.port);
        if (!pname || !validLabel(pname) || !Number.isInteger(port) || port < 1 || port > 65535) continue;
        add(`_${pname.toLowerCase()}._${String(p.protocol ?? 'TCP').toLowerCase()}.${base}`, { type: 'SRV', data: { priority: 0, weight: 100, port, target: base } });
      }
      continue;
    }
    // Headless: every ready endpoint address, by its own name too.
    const publishNotReady = spec.publishNotReadyAddresses === true;
    const srv: { owner: string; port: number; target: string }[] = [];
    for (const slice of slicesBySvc.get(`${ns}/${name}`) ?? []) {
      if (slice.addressType === 'FQDN') continue;
      const ports = asArr(slice.ports).map(asObj);
      for (const ep of asArr(slice.endpoints).map(asObj)) {
        if (!publishNotReady && asObj(ep.conditions).ready === false) continue;
        const hostname = asStr(ep.hostname);
        for (const raw of asArr(ep.addresses)) {
          const ip = typeof raw === 'string' ? canonicalIp(raw) : undefined;
          if (!ip) continue;
          const target = `${hostname && LABEL.test(hostname) ? hostname : dashedIp(ip)}.${base}`;
          addAddress(base, ip);
          addAddress(target, ip);
          addPtr(ip, target);
          for (const p of ports) {
            const pname = asStr(p.name);
            const port = Number(p.port);
            if (!pname || !validLabel(pname) || !Number.isInteger(port) || port < 1 || port > 65535) continue;
            srv.push({ owner: `_${pname.toLowerCase()}._${String(p.protocol ?? 'TCP').toLowerCase()}.${base}`, port, target });
          }
        }
      }
    }
    const perOwner = new Map<string, number>();
    for (const s of srv) perOwner.set(s.owner, (perOwner.get(s.owner) ?? 0) + 1);
    for (const s of srv) add(s.owner, { type: 'SRV', data: { priority: 0, weight: Math.max(1, Math.round(100 / perOwner.get(s.owner)!)), port: s.port, target: s.target } });
    // A headless service with no ready endpoint still exists (NODATA, not NXDOMAIN).
    names.add(base);
    names.add(`${ns}.svc.${domain}`);
    names.add(`svc.${domain}`);
  }

  for (const pod of objs.pods) {
    const ns = pod.metadata.namespace;
    if (!ns || !LABEL.test(ns)) continue;
    const spec = asObj(pod.spec);
    const status = asObj(pod.status);
    const ips = new Set<string>();
    for (const p of asArr(status.podIPs)) {
      const ip = asStr(asObj(p).ip);
      if (ip) ips.add(ip);
    }
    const single = asStr(status.podIP);
    if (single) ips.add(single);
    for (const raw of ips) {
      const ip = canonicalIp(raw);
      if (!ip) continue;
      const set = podIps.get(ns) ?? new Set<string>();
      set.add(ip);
      podIps.set(ns, set);
      // Host-network pods share the node's address: no PTR from it to one of them.
      if (spec.hostNetwork !== true) addPtr(ip, `${dashedIp(ip)}.${ns}.pod.${domain}`);
    }
    if (ips.size) {
      names.add(`${ns}.pod.${domain}`);
      names.add(`pod.${domain}`);
    }
  }
  return { domain, ttl, records, names, podIps, soa };
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function validLabel(l: string): boolean {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i.test(l);
}

function validName(n: string): boolean {
  try {
    return nameToLabels(n).length > 0;
  } catch {
    return false;
  }
}
