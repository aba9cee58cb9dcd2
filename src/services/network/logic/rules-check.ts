import { E } from '../errors.js';
import { formatCidr, parseCidr } from './ip.js';
import type { SecurityGroupRule } from './models.js';

/** IP protocol names Neutron accepts in security group rules, with their numbers. */
export const PROTOCOLS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};

const PORT_PROTOCOLS = [6, 17, 33, 132, 136];
const ICMP_PROTOCOLS = [1, 58];

export function protocolNumber(p: string): number {
  return PROTOCOLS[p] ?? Number(p);
}

/** Accepts a name, a number, or a numeric string; returns what Neutron stores (null = any). */
export function normalizeProtocol(v: unknown): string | null {
  if (v === null || v === undefined || v === 'any') return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return String(v);
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s in PROTOCOLS) return s;
    if (/^\d{1,3}$/.test(s) && Number(s) <= 255) return String(Number(s));
  }
  throw E.bad(
    'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${String(v)} not supported. Only protocol values [None, ${Object.keys(PROTOCOLS).map((k) => `'${k}'`).join(', ')}] and integer representations [0 to 255] are supported.`,
  );
}

export interface RuleInput {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

/** Neutron's semantic checks of a rule; returns it with the remote prefix normalized. */
export function checkRule(r: RuleInput): RuleInput {
  if (r.remoteIpPrefix !== null && r.remoteGroupId !== null)
    throw E.bad('SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
  let prefix = r.remoteIpPrefix;
  if (prefix !== null) {
    const c = parseCidr(prefix);
    if (!c) throw E.attr(`Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`);
    if (`IPv${c.v}` !== r.ethertype)
      throw E.bad('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${r.ethertype} for CIDR ${prefix}`);
    prefix = formatCidr(c);
  }
  const num = r.protocol === null ? null : protocolNumber(r.protocol);
  if (num === 58 && r.ethertype === 'IPv4')
    throw E.bad('SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${r.ethertype} for protocol ${r.protocol}.`);
  checkPorts(r, num);
  return { ...r, remoteIpPrefix: prefix };
}

function checkPorts(r: RuleInput, num: number | null): void {
  const { portRangeMin: min, portRangeMax: max } = r;
  if (min === null && max === null) return;
  if (num === null) throw E.bad('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  if (PORT_PROTOCOLS.includes(num)) {
    if (min === 0 || max === 0) throw E.bad('SecurityGroupInvalidPortValue', 'Invalid value for port 0.');
    if (min === null || max === null || min > max)
      throw E.bad('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max.');
    return;
  }
  if (ICMP_PROTOCOLS.includes(num)) {
    for (const [v, field, attr] of [[min, 'type', 'port_range_min'], [max, 'code', 'port_range_max']] as const)
      if (v !== null && (v < 0 || v > 255))
        throw E.bad('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${v}. It must be 0 to 255.`);
    if (min === null && max !== null) throw E.bad('SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    return;
  }
  throw E.bad('SecurityGroupInvalidProtocolForPortRange', `Invalid protocol ${r.protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`);
}

/** Two rules that would match the same traffic (Neutron's duplicate check). */
export function sameRule(a: RuleInput, b: SecurityGroupRule | RuleInput): boolean {
  const any = (p: string | null, eth: string) => (p === null || p === (eth === 'IPv4' ? '0.0.0.0/0' : '::/0') ? null : p);
  const proto = (p: string | null) => (p === null ? null : protocolNumber(p));
  return (
    a.direction === b.direction &&
    a.ethertype === b.ethertype &&
    proto(a.protocol) === proto(b.protocol) &&
    a.portRangeMin === b.portRangeMin &&
    a.portRangeMax === b.portRangeMax &&
    any(a.remoteIpPrefix, a.ethertype) === any(b.remoteIpPrefix, b.ethertype) &&
    a.remoteGroupId === b.remoteGroupId
  );
}
