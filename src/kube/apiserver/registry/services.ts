import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import type { KubeObject } from '../../types.js';
import { ipToNumber, type ClusterIpAllocator, type NodePortAllocator } from './allocators.js';
import { arr, Causes, isObject, obj, type Json } from './util.js';

/**
 * What one Service write took from and gives back to the allocators. Claims are made before
 * the store write; `commit` releases what the old version held and the new one dropped,
 * `rollback` (failed or dry-run write) returns the claims.
 */
export class ServiceAllocation {
  readonly claimedIps: string[] = [];
  readonly claimedPorts: number[] = [];
  readonly releaseIps: string[] = [];
  readonly releasePorts: number[] = [];

  constructor(
    private readonly ips: ClusterIpAllocator,
    private readonly ports: NodePortAllocator,
  ) {}

  commit(): void {
    for (const ip of this.releaseIps) this.ips.release(ip);
    for (const p of this.releasePorts) this.ports.release(p);
  }

  rollback(): void {
    for (const ip of this.claimedIps) this.ips.release(ip);
    for (const p of this.claimedPorts) this.ports.release(p);
  }
}

/** The cluster IPs (not `None`) and node ports a stored Service holds. */
export function heldBy(svc: KubeObject | undefined): { ips: string[]; ports: number[] } {
  const spec = isObject(svc?.spec) ? svc.spec : {};
  const ips = (Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP]).filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
  const ports = arr(spec, 'ports')
    .map((p) => (isObject(p) ? p.nodePort : undefined))
    .filter((p): p is number => typeof p === 'number');
  return { ips, ports: [...new Set(ports)] };
}

function wantsNodePorts(spec: Json): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * Fills in `clusterIP`/`clusterIPs` and `nodePort`s of a defaulted Service (create: `old`
 * undefined; update: the stored version), claiming them from the allocators. Requested values
 * are honoured or rejected with 422; a cluster IP never changes once set.
 */
export function allocateService(res: ResourceType, svc: KubeObject, old: KubeObject | undefined, ips: ClusterIpAllocator, ports: NodePortAllocator): ServiceAllocation {
  const alloc = new ServiceAllocation(ips, ports);
  const name = svc.metadata.name ?? '';
  const spec = obj(svc, 'spec');
  const oldSpec = isObject(old?.spec) ? old.spec : undefined;
  const held = heldBy(old);
  const causes = new Causes();
  try {
    // --- cluster IP
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else {
      let wanted = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string' ? spec.clusterIPs[0] : undefined;
      const oldIp = oldSpec && oldSpec.type !== 'ExternalName' && typeof oldSpec.clusterIP === 'string' && oldSpec.clusterIP !== '' ? oldSpec.clusterIP : undefined;
      if (wanted === undefined && oldIp !== undefined) wanted = oldIp;
      if (oldIp !== undefined && wanted !== oldIp) {
        causes.invalid('spec.clusterIP', wanted, 'field is immutable');
      } else if (wanted === 'None') {
        spec.clusterIP = 'None';
        spec.clusterIPs = ['None'];
      } else if (wanted !== undefined && wanted === oldIp) {
        spec.clusterIP = wanted;
        spec.clusterIPs = [wanted];
      } else if (wanted !== undefined) {
        if (ipToNumber(wanted) === undefined) causes.invalid('spec.clusterIP', wanted, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
        else {
          const claim = ips.claim(wanted);
          if (claim === 'ok') {
            alloc.claimedIps.push(wanted);
            spec.clusterIP = wanted;
            spec.clusterIPs = [wanted];
          } else if (claim === 'taken') causes.invalid('spec.clusterIPs', [wanted], `failed to allocate IP ${wanted}: provided IP is already allocated`);
          else causes.invalid('spec.clusterIPs', [wanted], `failed to allocate IP ${wanted}: the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${ips.range}`);
        }
      } else {
        const ip = ips.allocate();
        if (!ip) throw KubeError.internal(`failed to allocate a serviceIP: range ${ips.range} is full; delete unused Services or use a larger --service-cidr`);
        alloc.claimedIps.push(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    }
    // --- node ports
    const oldPorts = arr(oldSpec, 'ports').filter(isObject);
    const mine = new Map<number, string>(); // nodePort → protocol, inside this Service
    arr(spec, 'ports').forEach((p, i) => {
      if (!isObject(p)) return;
      const field = `spec.ports[${i}].nodePort`;
      const same = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (!wantsNodePorts(spec)) {
        if (p.nodePort !== undefined && (same?.nodePort === p.nodePort || held.ports.includes(p.nodePort as number))) delete p.nodePort;
        else if (p.nodePort !== undefined && p.nodePort !== 0) causes.forbidden(field, `may not be used when \`type\` is '${String(spec.type)}'`);
        else delete p.nodePort;
        return;
      }
      if (p.nodePort === undefined || p.nodePort === 0) {
        if (typeof same?.nodePort === 'number') p.nodePort = same.nodePort;
      }
      if (typeof p.nodePort === 'number') {
        const port = p.nodePort;
        if (mine.has(port)) {
          if (mine.get(port) === (p.protocol ?? 'TCP')) causes.duplicate(field, port);
          return;
        }
        mine.set(port, String(p.protocol ?? 'TCP'));
        if (held.ports.includes(port)) return;
        const claim = ports.claim(port);
        if (claim === 'ok') alloc.claimedPorts.push(port);
        else if (claim === 'taken') causes.invalid(field, port, 'provided port is already allocated');
        else causes.invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${ports.min}-${ports.max}`);
      } else if (p.nodePort !== undefined) {
        causes.invalid(field, p.nodePort, 'must be an integer');
      } else {
        const port = ports.allocate();
        if (port === undefined) throw KubeError.internal(`failed to allocate a nodePort: range ${ports.min}-${ports.max} is full; delete unused NodePort Services or widen the range`);
        alloc.claimedPorts.push(port);
        mine.set(port, String(p.protocol ?? 'TCP'));
        p.nodePort = port;
      }
    });
    if (causes.list.length) throw KubeError.invalid(res, name, causes.list);
  } catch (e) {
    alloc.rollback();
    throw e;
  }
  const now = heldBy(svc);
  for (const ip of held.ips) if (!now.ips.includes(ip)) alloc.releaseIps.push(ip);
  for (const p of held.ports) if (!now.ports.includes(p)) alloc.releasePorts.push(p);
  return alloc;
}
