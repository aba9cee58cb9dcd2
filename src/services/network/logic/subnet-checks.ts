import { E } from '../errors.js';
import { contains, defaultPools, formatCidr, formatIp, normalizeIp, parseCidr, parseIp, type Cidr, type Range } from './ip.js';
import type { HostRoute, Pool } from './models.js';

export const MAX_DNS_NAMESERVERS = 5;
export const MAX_HOST_ROUTES = 20;
export const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'];

/** Parses a subnet CIDR the way Neutron validates it: host bits must be clear. */
export function checkCidr(text: string, ipVersion: 4 | 6): Cidr {
  const c = parseCidr(text);
  if (!c || !text.includes('/')) throw E.attr(`Invalid input for cidr. Reason: '${text}' is not a valid IP subnet.`);
  if (c.given !== c.first) throw E.invalidInput(`'${text}' isn't a recognized IP subnet cidr, '${formatCidr(c)}' is recommended`);
  if (c.v !== ipVersion) throw E.invalidInput(`Cidr ${text} does not match ip_version ${ipVersion}`);
  if (c.prefix === 0) throw E.invalidInput(`${text} is not a valid subnet: a prefix length of 0 is not allowed`);
  return c;
}

/** Neutron's default gateway: the first address after the network address. */
export function defaultGateway(c: Cidr): string | null {
  if (c.first === c.last || (c.v === 4 && c.prefix >= 31)) return null;
  return formatIp(c.v, c.first + 1n);
}

export function checkGateway(c: Cidr, gw: string | null): string | null {
  if (gw === null) return null;
  const ip = parseIp(gw);
  if (!ip) throw E.attr(`Invalid input for gateway_ip. Reason: '${gw}' is not a valid IP address.`);
  if (ip.v !== c.v) throw E.invalidInput(`Gateway IP version inconsistent with subnet IP version`);
  if (contains(c, ip) && c.first !== c.last && (ip.n === c.first || (c.v === 4 && ip.n === c.last && c.prefix < 31)))
    throw E.invalidInput(`Gateway is not valid on subnet`);
  return formatIp(ip.v, ip.n);
}

/** Validates explicit pools (inside the CIDR, ordered, not overlapping) or computes the defaults. */
export function checkPools(c: Cidr, pools: Pool[] | undefined, gateway: string | null): Pool[] {
  const gw = gateway === null ? null : parseIp(gateway)!.n;
  const text = (r: Range) => ({ start: formatIp(c.v, r.first), end: formatIp(c.v, r.last) });
  if (pools === undefined) return defaultPools(c, gw).map(text);
  const ranges = pools.map((p) => {
    const s = parseIp(p.start);
    const e = parseIp(p.end);
    const show = `${p.start}-${p.end}`;
    if (!s || !e || s.v !== c.v || e.v !== c.v || s.n > e.n) throw E.bad('InvalidAllocationPool', `The allocation pool ${show} is not valid.`);
    if (!contains(c, s) || !contains(c, e)) throw E.bad('OutOfBoundsAllocationPool', `The allocation pool ${show} spans beyond the subnet cidr ${formatCidr(c)}.`);
    if (c.v === 4 && c.prefix < 31 && (s.n === c.first || e.n === c.last)) throw E.bad('InvalidAllocationPool', `The allocation pool ${show} is not valid.`);
    return { first: s.n, last: e.n };
  });
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.first <= sorted[i - 1]!.last) {
      const [a, b] = [text(sorted[i - 1]!), text(sorted[i]!)];
      throw E.bad('OverlappingAllocationPools', `Found overlapping allocation pools: ${a.start}-${a.end} ${b.start}-${b.end} for subnet ${formatCidr(c)}.`);
    }
  }
  return ranges.map(text);
}

export function checkGatewayOutsidePools(gateway: string | null, pools: Pool[]): void {
  if (gateway === null) return;
  const gw = parseIp(gateway)!;
  for (const p of pools) {
    if (gw.n >= parseIp(p.start)!.n && gw.n <= parseIp(p.end)!.n && gw.v === parseIp(p.start)!.v)
      throw E.gatewayConflict(gateway, `${p.start}-${p.end}`);
  }
}

export function checkNameservers(list: string[], v: 4 | 6): string[] {
  if (list.length > MAX_DNS_NAMESERVERS)
    throw E.bad('DNSNameServersExhausted', `Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`);
  const out = list.map((d) => {
    const ip = parseIp(d);
    if (!ip) throw E.attr(`Invalid input for dns_nameservers. Reason: '${d}' is not a valid nameserver.`);
    if (ip.v !== v) throw E.invalidInput(`dns_nameserver '${d}' does not match the ip_version '${v}'`);
    return formatIp(ip.v, ip.n);
  });
  if (new Set(out).size !== out.length) throw E.attr(`Invalid input for dns_nameservers. Reason: Duplicate nameserver '${out.find((x, i) => out.indexOf(x) !== i)}'.`);
  return out;
}

export function checkHostRoutes(list: HostRoute[], v: 4 | 6): HostRoute[] {
  if (list.length > MAX_HOST_ROUTES)
    throw E.bad('HostRoutesExhausted', `Unable to complete operation for subnet. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`);
  const out = list.map((r) => {
    const d = parseCidr(r.destination);
    const hop = parseIp(r.nexthop);
    if (!d) throw E.attr(`Invalid input for host_routes. Reason: '${r.destination}' is not a valid IP subnet.`);
    if (!hop) throw E.attr(`Invalid input for host_routes. Reason: '${r.nexthop}' is not a valid IP address.`);
    if (d.v !== v || hop.v !== v) throw E.invalidInput(`Host route ${r.destination} via ${r.nexthop} does not match the ip_version '${v}'`);
    return { destination: formatCidr(d), nexthop: normalizeIp(r.nexthop)! };
  });
  const keys = out.map((r) => `${r.destination} ${r.nexthop}`);
  if (new Set(keys).size !== keys.length) throw E.attr('Invalid input for host_routes. Reason: Duplicate hostroute found.');
  return out;
}

/** IPv6 address and RA modes: only on IPv6, equal when both set, and SLAAC needs a /64. */
export function checkIpv6Modes(c: Cidr, ra: string | null, addr: string | null): void {
  for (const [name, v] of [['ipv6_ra_mode', ra], ['ipv6_address_mode', addr]] as const) {
    if (v === null) continue;
    if (!IPV6_MODES.includes(v)) throw E.attr(`Invalid input for ${name}. Reason: '${v}' is not in [${IPV6_MODES.map((m) => `'${m}'`).join(', ')}].`);
    if (c.v === 4) throw E.invalidInput(`${name} is not valid when ip_version is 4`);
  }
  if (ra !== null && addr !== null && ra !== addr)
    throw E.invalidInput(`ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value`);
  if ((addr === 'slaac' || addr === 'dhcpv6-stateless' || ra === 'slaac' || ra === 'dhcpv6-stateless') && c.prefix !== 64)
    throw E.invalidInput(`Invalid CIDR ${formatCidr(c)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`);
}
