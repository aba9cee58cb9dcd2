import type { PortSpec, RuleSpec, SecurityGroupSpec } from '../driver.js';
import { dev, portTag } from './names.js';
import { isV6 } from './rules.js';

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite' };
const PORTED = new Set([6, 17, 33, 132, 136]);

/** The iptables match of one rule, without the remote address (null when it never applies to `family`). */
function ruleMatch(r: RuleSpec, family: 4 | 6): string | null {
  if ((r.ethertype === 'IPv6') !== (family === 6)) return null;
  const parts: string[] = [];
  if (r.protocol !== null) {
    if (family === 6 && r.protocol === 1) return null;
    if (family === 4 && r.protocol === 58) return null;
    parts.push(`-p ${PROTO_NAMES[r.protocol] ?? r.protocol}`);
    if (PORTED.has(r.protocol) && (r.portRangeMin !== null || r.portRangeMax !== null)) {
      const lo = r.portRangeMin ?? 1;
      const hi = r.portRangeMax ?? 65535;
      parts.push(`-m ${PROTO_NAMES[r.protocol]} --dport ${lo === hi ? lo : `${lo}:${hi}`}`);
    }
    if ((r.protocol === 1 || r.protocol === 58) && r.portRangeMin !== null) {
      const flag = r.protocol === 1 ? '--icmp-type' : '--icmpv6-type';
      parts.push(`${flag} ${r.portRangeMin}${r.portRangeMax !== null ? `/${r.portRangeMax}` : ''}`);
    }
  }
  return parts.join(' ');
}

/**
 * True when the port's filtering is stateless: it has groups (as last synced) and every one of
 * them has `stateful: false`. The API refuses a port mixing both kinds (409); should a mix reach
 * the driver anyway (a group switched while unused, then synced late), the port stays stateful.
 */
export function isStatelessPort(p: PortSpec, groups: Map<string, SecurityGroupSpec>): boolean {
  const known = p.securityGroupIds.flatMap((id) => groups.get(id) ?? []);
  return known.length > 0 && known.every((g) => !g.stateful);
}

/**
 * Security groups for every port with port security, as one `iptables-nft-restore` of the
 * underlay's raw and filter tables: bridged traffic passes the FORWARD chain (br_netfilter),
 * where `physdev` names the port; a packet leaving port A for port B returns from A's egress
 * chain and from B's ingress chain, then is accepted. Each chain allows DHCP and what the port's
 * groups allow; everything else is dropped. Remote-group rules expand to the member addresses of
 * that group as last synced (a group not synced yet has none).
 *
 * Stateful ports (the default) also accept replies through conntrack, one zone per network so
 * overlapping tenant ranges never share entries. Stateless ports (Neutron `stateful: false`, see
 * `isStatelessPort`) get no conntrack at all: the raw table marks what they send (physdev-in
 * their tap) and what is addressed to them (their fixed IPs and allowed pairs on their bridge)
 * `NOTRACK`, ahead of the zone rules (the first CT target a packet meets wins), and their chains
 * have no INVALID/ESTABLISHED lines, so replies need rules of their own, as in Neutron: a server
 * allowing ingress tcp/22 also needs an egress rule for the clients' (destination) ports.
 */
// NOTE: one conntrack decision is made per bridged packet (it crosses FORWARD once, through
// both ports' chains), unlike Neutron's hybrid plugging where each port has its own bridge. So
// traffic between a stateless port and a stateful one on the same network is untracked too, and
// the stateful side must allow that peer's replies by rule; never opened by default.
export function securityRules(ports: PortSpec[], groups: Map<string, SecurityGroupSpec>, zones: Map<string, number>, family: 4 | 6): string {
  const guarded = ports.filter((p) => p.portSecurity);
  const stateless = new Set(guarded.filter((p) => isStatelessPort(p, groups)).map((p) => p.id));
  const out = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const p of guarded) {
    if (!stateless.has(p.id)) continue;
    out.push(`-A PREROUTING -m physdev --physdev-in ${dev.tap(p.id)} -j CT --notrack`);
    const addrs = [...p.fixedIps.map((f) => f.ipAddress), ...p.allowedAddressPairs.map((a) => a.ipAddress)].filter((a) => isV6(a) === (family === 6));
    for (const a of new Set(addrs)) out.push(`-A PREROUTING -i ${dev.bridge(p.networkId)} -d ${a} -j CT --notrack`);
  }
  for (const [networkId, zone] of zones) out.push(`-A PREROUTING -i ${dev.bridge(networkId)} -j CT --zone ${zone}`);
  out.push('COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]');
  const body: string[] = [];
  for (const p of guarded) {
    const t = portTag(p.id);
    out.push(`:i-${t} - [0:0]`, `:o-${t} - [0:0]`);
    body.push(`-A FORWARD -m physdev --physdev-in ${dev.tap(p.id)} --physdev-is-bridged -j o-${t}`);
    body.push(`-A FORWARD -m physdev --physdev-out ${dev.tap(p.id)} --physdev-is-bridged -j i-${t}`);
    const dhcp = family === 4 ? ['-p udp -m udp --sport 67 --dport 68', '-p udp -m udp --sport 68 --dport 67'] : ['-p udp -m udp --sport 547 --dport 546', '-p udp -m udp --sport 546 --dport 547'];
    for (const [dir, chain, remoteFlag, dhcpMatch] of [
      ['ingress', `i-${t}`, '-s', dhcp[0]],
      ['egress', `o-${t}`, '-d', dhcp[1]],
    ] as const) {
      if (!stateless.has(p.id)) {
        body.push(`-A ${chain} -m conntrack --ctstate INVALID -j DROP`);
        body.push(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`);
      }
      body.push(`-A ${chain} ${dhcpMatch} -j RETURN`);
      if (family === 6) for (const type of [134, 135, 136]) body.push(`-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j RETURN`);
      for (const gid of p.securityGroupIds) {
        const g = groups.get(gid);
        if (!g) continue;
        for (const r of g.rules) {
          if (r.direction !== dir) continue;
          const m = ruleMatch(r, family);
          if (m === null) continue;
          let remotes: (string | null)[] = [null];
          if (r.remoteIpPrefix) remotes = isV6(r.remoteIpPrefix) === (family === 6) ? [r.remoteIpPrefix] : [];
          else if (r.remoteGroupId) remotes = (groups.get(r.remoteGroupId)?.memberIps ?? []).filter((ip) => isV6(ip) === (family === 6));
          for (const remote of remotes) body.push(`-A ${chain}${m ? ` ${m}` : ''}${remote && !/^(0\.0\.0\.0|::)\/0$/.test(remote) ? ` ${remoteFlag} ${remote}` : ''} -j RETURN`);
        }
      }
      body.push(`-A ${chain} -j DROP`);
    }
  }
  out.push(...body, 'COMMIT');
  return out.join('\n') + '\n';
}
