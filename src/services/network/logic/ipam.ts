import { StoreConflict } from '../../../store/index.js';
import { E } from '../errors.js';
import type { Repo } from './context.js';
import { contains, eui64, formatIp, parseCidr, parseIp, type Cidr, type Ip, type Range } from './ip.js';
import type { FixedIp, IpAllocation, Subnet } from './models.js';

/** A requested fixed IP: by subnet, by address, or both (Neutron's `fixed_ips` entries). */
export interface IpRequest {
  subnetId?: string;
  ipAddress?: string;
}

export interface PortFacts {
  portId: string;
  networkId: string;
  macAddress: string;
  deviceOwner: string;
}

export const AUTO_ADDRESS = ['slaac', 'dhcpv6-stateless'];
const ROUTER_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'];

export function isAutoAddress(s: Subnet): boolean {
  return s.ipVersion === 6 && s.ipv6AddressMode !== null && AUTO_ADDRESS.includes(s.ipv6AddressMode);
}

export function poolRanges(s: Subnet): Range[] {
  return s.allocationPools.map((p) => ({ first: parseIp(p.start)!.n, last: parseIp(p.end)!.n }));
}

/**
 * IP address management. Every address handed out is an `IpAllocation` record whose id is
 * `<subnet>/<address>`; the store refuses a second record with the same id, and callers run
 * inside the service's transaction, so no address is ever handed out twice, even under
 * concurrency. Automatic allocation takes the first free pool address after the last one handed
 * out, and reuses released addresses once the pools run out above them.
 */
export class Ipam {
  private readonly hints = new Map<string, bigint>();

  constructor(private readonly allocs: Repo<IpAllocation>) {}

  async countUsed(subnetId: string): Promise<number> {
    return this.allocs.count({ subnetId });
  }

  /** Who holds an address, if anyone. */
  async holder(subnetId: string, ip: string): Promise<string | undefined> {
    return (await this.allocs.get(`${subnetId}/${ip}`))?.portId;
  }

  async byPort(portId: string): Promise<IpAllocation[]> {
    return this.allocs.list({ portId });
  }

  private async take(s: Subnet, ip: Ip, port: PortFacts): Promise<FixedIp> {
    const text = formatIp(ip.v, ip.n);
    const rec: IpAllocation = { id: `${s.id}/${text}`, subnetId: s.id, networkId: s.networkId, ip: text, portId: port.portId };
    try {
      await this.allocs.create(rec);
    } catch (e) {
      if (e instanceof StoreConflict) throw E.ipInUse(s.networkId, text);
      throw e;
    }
    return { subnetId: s.id, ipAddress: text };
  }

  /**
   * The next free pool address of a subnet, or undefined when the pools are exhausted. Probes
   * allocation ids from a per-subnet hint (just past the last address handed out, lowered when
   * one is released), then wraps around, so a create costs a few key lookups, not a scan.
   */
  private async next(s: Subnet): Promise<Ip | undefined> {
    const ranges = poolRanges(s);
    const hint = this.hints.get(s.id);
    const free = async (n: bigint) => !(await this.allocs.get(`${s.id}/${formatIp(s.ipVersion, n)}`));
    for (const pass of hint === undefined ? ['all'] : ['above', 'below']) {
      for (const r of ranges) {
        let n = pass === 'above' && hint! > r.first ? hint! : r.first;
        const last = pass === 'below' && hint! - 1n < r.last ? hint! - 1n : r.last;
        for (; n <= last; n++) {
          if (await free(n)) {
            this.hints.set(s.id, n + 1n);
            return { v: s.ipVersion, n };
          }
        }
      }
    }
    return undefined;
  }

  /** Allocates one address on `s` as asked; throws Neutron's errors for bad or taken ones. */
  async allocateOn(s: Subnet, port: PortFacts, ipAddress?: string): Promise<FixedIp> {
    const cidr = parseCidr(s.cidr)!;
    if (ipAddress === undefined) {
      const ip = isAutoAddress(s) ? { v: 6 as const, n: eui64(cidr, port.macAddress) } : await this.next(s);
      if (!ip) throw E.ipExhausted(s.networkId);
      return this.take(s, ip, port);
    }
    const ip = checkAddress(s, cidr, ipAddress);
    if (isAutoAddress(s) && !ROUTER_OWNERS.includes(port.deviceOwner))
      throw E.invalidInput(`IPv6 address ${ipAddress} cannot be directly assigned to a port on subnet ${s.id} with ${s.ipv6AddressMode} address mode`);
    return this.take(s, ip, port);
  }

  /**
   * Addresses for a port created without `fixed_ips`: one IPv4 and one stateful IPv6 address
   * from the first subnet of each family that has room, plus an EUI-64 address on every SLAAC
   * subnet. Subnets with service types serve only ports whose device owner they list.
   */
  async allocateDefault(subnets: Subnet[], port: PortFacts): Promise<FixedIp[]> {
    const usable = subnets.filter((s) => s.serviceTypes.length === 0 || s.serviceTypes.includes(port.deviceOwner));
    const out: FixedIp[] = [];
    for (const group of [usable.filter((s) => s.ipVersion === 4), usable.filter((s) => s.ipVersion === 6 && !isAutoAddress(s))]) {
      if (group.length === 0) continue;
      let got: FixedIp | undefined;
      for (const s of group) {
        const ip = await this.next(s);
        if (ip) {
          got = await this.take(s, ip, port);
          break;
        }
      }
      if (!got) throw E.ipExhausted(port.networkId);
      out.push(got);
    }
    for (const s of usable.filter(isAutoAddress)) out.push(await this.allocateOn(s, port));
    return out;
  }

  /**
   * Applies requested `fixed_ips` to a port that currently holds `current`: entries naming an
   * address it already holds keep it, entries naming only a subnet keep one address it holds
   * there, the rest is allocated, and whatever is no longer wanted is released.
   */
  async reconcile(subnets: Map<string, Subnet>, port: PortFacts, current: FixedIp[], wanted: IpRequest[]): Promise<FixedIp[]> {
    const left = [...current];
    const plan: { kept?: FixedIp; req: IpRequest }[] = wanted.map((w) => {
      const i = left.findIndex((c) =>
        w.ipAddress !== undefined ? c.ipAddress === w.ipAddress && (!w.subnetId || c.subnetId === w.subnetId) : c.subnetId === w.subnetId,
      );
      return i >= 0 ? { kept: left.splice(i, 1)[0]!, req: w } : { req: w };
    });
    await this.release(left);
    const out: FixedIp[] = [];
    for (const p of plan) {
      out.push(p.kept ?? (await this.allocateOn(resolveSubnet(subnets, p.req, port.networkId), port, p.req.ipAddress)));
    }
    return out;
  }

  async release(ips: FixedIp[]): Promise<void> {
    for (const ip of ips) {
      await this.allocs.delete(`${ip.subnetId}/${ip.ipAddress}`);
      const n = parseIp(ip.ipAddress)!.n;
      const hint = this.hints.get(ip.subnetId);
      if (hint !== undefined && n < hint) this.hints.set(ip.subnetId, n);
    }
  }
}

/** The subnet an entry refers to: named directly, or the one on the network containing the address. */
export function resolveSubnet(subnets: Map<string, Subnet>, req: IpRequest, networkId: string): Subnet {
  if (req.subnetId !== undefined) {
    const s = subnets.get(req.subnetId);
    if (!s) throw E.invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${req.subnetId}`);
    return s;
  }
  const ip = parseIp(req.ipAddress);
  const s = ip && [...subnets.values()].find((x) => contains(parseCidr(x.cidr)!, ip));
  if (!s) throw E.invalidIpForNetwork(String(req.ipAddress));
  return s;
}

function checkAddress(s: Subnet, cidr: Cidr, text: string): Ip {
  const ip = parseIp(text);
  if (!ip || !contains(cidr, ip)) throw E.invalidIpForSubnet(text);
  if (s.ipVersion === 4 && cidr.prefix < 31 && (ip.n === cidr.first || ip.n === cidr.last)) throw E.invalidIpForSubnet(text);
  if (s.ipVersion === 6 && cidr.prefix < 127 && ip.n === cidr.first) throw E.invalidIpForSubnet(text);
  return ip;
}
