import type { DhcpSpec, FloatingIpSpec, PortSpec, RouterSpec } from '../driver.js';
import { dev, portTag } from './names.js';

/** IPv4 prefix length of a CIDR. */
export function prefixLen(cidr: string): number {
  return Number(cidr.split('/')[1] ?? 32);
}

export function isV6(addr: string): boolean {
  return addr.includes(':');
}

/** 10.0.0.0/26 → 255.255.255.192 */
export function netmask(len: number): string {
  const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

/** The network address of an IPv4 CIDR. */
export function networkAddress(cidr: string): string {
  const [a, l] = cidr.split('/');
  const n = a!.split('.').reduce((x, o) => (x << 8) + Number(o), 0) >>> 0;
  const len = Number(l);
  const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const v = (n & m) >>> 0;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

/** True when the IPv4 `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  if (isV6(ip) || isV6(cidr)) return false;
  return networkAddress(`${ip}/${prefixLen(cidr)}`) === networkAddress(cidr);
}

const q = (s: string) => JSON.stringify(s);

/**
 * The router's nftables ruleset, replacing table `ip stx` atomically: floating IPs as 1:1
 * DNAT/SNAT maps on the gateway leg, SNAT of the interface subnets to the gateway address, and a
 * forward filter that lets nothing in through the gateway except replies and DNATed flows (so
 * another tenant's router cannot reach these subnets by routing to them).
 */
export function routerNft(r: RouterSpec, fips: FloatingIpSpec[]): string {
  const lines = ['table ip stx {}', 'delete table ip stx', 'table ip stx {'];
  const gw = r.gateway;
  const gwAddr = gw?.fixedIps.find((f) => !isV6(f.ipAddress))?.ipAddress;
  if (gw && gwAddr) {
    const qg = q(dev.qg(gw.portId));
    const v4 = fips.filter((f) => !isV6(f.floatingIp));
    const elems = (pairs: string[]) => (pairs.length ? `; elements = { ${pairs.join(', ')} };` : ';');
    lines.push(`  map fip_dnat { type ipv4_addr : ipv4_addr${elems(v4.map((f) => `${f.floatingIp} : ${f.fixedIp}`))} }`);
    lines.push(`  map fip_snat { type ipv4_addr : ipv4_addr${elems(v4.map((f) => `${f.fixedIp} : ${f.floatingIp}`))} }`);
    lines.push(`  chain pre { type nat hook prerouting priority dstnat; policy accept; iifname ${q(dev.qg(gw.portId))} dnat to ip daddr map @fip_dnat; }`);
    const post = [`oifname ${qg} snat to ip saddr map @fip_snat`];
    const inner = r.interfaces.flatMap((l) => l.fixedIps.filter((f) => !isV6(f.cidr)).map((f) => networkAddress(f.cidr) + '/' + prefixLen(f.cidr)));
    if (gw.enableSnat && inner.length) post.push(`oifname ${qg} ip saddr { ${[...new Set(inner)].join(', ')} } snat to ${gwAddr}`);
    lines.push(`  chain post { type nat hook postrouting priority srcnat; policy accept; ${post.join('; ')}; }`);
    lines.push(`  chain forward { type filter hook forward priority 0; policy accept; ct state established,related accept; iifname ${qg} ct status dnat accept; iifname ${qg} drop; }`);
  } else {
    lines.push('  chain forward { type filter hook forward priority 0; policy accept; }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * Anti-spoofing of every port with port security, in the underlay's bridge family (stateless,
 * so the missing bridge conntrack does not matter): a port may send only from its MAC (or an
 * allowed pair's), ARP only for its addresses, IPv4/IPv6 only from its fixed IPs and allowed
 * address pairs (plus DHCP discovery from 0.0.0.0 and IPv6 link-local), and nothing else.
 * Replaces table `bridge stx_guard` atomically.
 */
export function guardNft(ports: PortSpec[]): string {
  const lines = ['table bridge stx_guard {}', 'delete table bridge stx_guard', 'table bridge stx_guard {'];
  const guarded = ports.filter((p) => p.portSecurity);
  const jumps = guarded.map((p) => `iifname ${q(dev.tap(p.id))} jump p_${portTag(p.id)}`);
  lines.push(`  chain pre { type filter hook prerouting priority -200; policy accept; ${jumps.join('; ')}${jumps.length ? ';' : ''} }`);
  for (const p of guarded) {
    const pairs: { mac: string; ip: string }[] = [
      ...p.fixedIps.map((f) => ({ mac: p.macAddress.toLowerCase(), ip: f.ipAddress })),
      ...p.allowedAddressPairs.map((a) => ({ mac: (a.macAddress || p.macAddress).toLowerCase(), ip: a.ipAddress })),
    ];
    const macs = [...new Set([p.macAddress.toLowerCase(), ...pairs.map((x) => x.mac)])];
    const v4 = pairs.filter((x) => !isV6(x.ip));
    const v6 = pairs.filter((x) => isV6(x.ip));
    const rules = [`ether saddr != { ${macs.join(', ')} } drop`];
    rules.push(`ether type arp arp saddr ether != { ${macs.join(', ')} } drop`);
    rules.push(`ether type arp arp saddr ip != { ${['0.0.0.0', ...new Set(v4.map((x) => x.ip))].join(', ')} } drop`);
    rules.push('ether type arp return');
    rules.push('ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 return');
    for (const mac of macs) {
      const ips = [...new Set(v4.filter((x) => x.mac === mac).map((x) => x.ip))];
      if (ips.length) rules.push(`ether type ip ether saddr ${mac} ip saddr { ${ips.join(', ')} } return`);
    }
    rules.push('ether type ip6 ip6 saddr fe80::/10 return');
    rules.push('ether type ip6 ip6 saddr :: icmpv6 type nd-neighbor-solicit return');
    for (const mac of macs) {
      const ips = [...new Set(v6.filter((x) => x.mac === mac).map((x) => x.ip))];
      if (ips.length) rules.push(`ether type ip6 ether saddr ${mac} ip6 saddr { ${ips.join(', ')} } return`);
    }
    rules.push('drop');
    lines.push(`  chain p_${portTag(p.id)} {`, ...rules.map((r) => `    ${r}`), '  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The metadata address every network's service namespace answers on. */
export const METADATA_IP = '169.254.169.254';

export interface DnsmasqFiles {
  args: string[];
  hosts: string;
  opts: string;
  /**
   * True when a host entry sets a tag (a port with extra DHCP options). dnsmasq 2.90 crashes
   * (SIGSEGV) on SIGHUP when a host entry with `set:` holds a lease, so such a config must be
   * applied by a restart, not a SIGHUP; entries without options carry no tag.
   */
  tagged: boolean;
}

/**
 * dnsmasq for one network, in its service namespace: static leases only (one per port
 * address, never a dynamic pool), the subnets' gateway, DNS (the subnet's servers, else this
 * dnsmasq answering for the instances' names), MTU, host routes and, when the network has a
 * metadata proxy, a classless route to 169.254.169.254 through the DHCP address (with the
 * default route repeated, since clients ignore option 3 when option 121 is present).
 */
export function dnsmasqConfig(spec: DhcpSpec, dir: string, iface: string, metadata: boolean): DnsmasqFiles {
  const domain = spec.dnsDomain.replace(/\.$/, '') || 'openstacklocal';
  const args = [
    'dnsmasq',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--keep-in-foreground',
    '--log-facility=-',
    '--bind-interfaces',
    `--interface=${iface}`,
    '--except-interface=lo',
    `--pid-file=${dir}/pid`,
    `--dhcp-hostsfile=${dir}/host`,
    `--dhcp-optsfile=${dir}/opts`,
    '--leasefile-ro',
    `--domain=${domain}`,
    `--local=/${domain}/`,
    '--dhcp-lease-max=65536',
  ];
  const opts: string[] = [];
  spec.subnets.forEach((s, i) => {
    if (s.ipVersion !== 4 || !s.enableDhcp) return;
    const tag = `s${i}`;
    args.push(`--dhcp-range=set:${tag},${networkAddress(s.cidr)},static,${netmask(prefixLen(s.cidr))},86400s`);
    const server = spec.serverPort?.fixedIps.find((f) => f.subnetId === s.id || inCidr(f.ipAddress, s.cidr))?.ipAddress;
    if (s.gatewayIp) opts.push(`tag:${tag},option:router,${s.gatewayIp}`);
    else opts.push(`tag:${tag},option:router`);
    const dns = s.dnsNameservers.length ? s.dnsNameservers : server ? [server] : [];
    if (dns.length) opts.push(`tag:${tag},option:dns-server,${dns.join(',')}`);
    opts.push(`tag:${tag},option:domain-search,${domain}`);
    opts.push(`tag:${tag},option:mtu,${spec.mtu}`);
    const routes: string[] = [];
    if (metadata && server && s.gatewayIp !== server) routes.push(`${METADATA_IP}/32,${server}`);
    for (const hr of s.hostRoutes) if (!isV6(hr.destination)) routes.push(`${hr.destination},${hr.nexthop}`);
    if (routes.length) {
      if (s.gatewayIp) routes.push(`0.0.0.0/0,${s.gatewayIp}`);
      opts.push(`tag:${tag},option:classless-static-route,${routes.join(',')}`);
    }
  });
  const hosts: string[] = [];
  let tagged = false;
  for (const h of spec.hosts) {
    if (isV6(h.ipAddress)) continue;
    const t = `p${portTag(h.portId)}`;
    const own = h.options.filter((o) => o.ipVersion === 4 && /^[\w-]+$/.test(o.name));
    for (const o of own) opts.push(`tag:${t},${/^\d+$/.test(o.name) ? o.name : `option:${o.name}`},${o.value}`);
    tagged ||= own.length > 0;
    hosts.push(`${h.macAddress.toLowerCase()},${own.length ? `set:${t},` : ''}${h.ipAddress},${h.hostname.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63)}`);
  }
  return { args, hosts: hosts.join('\n') + '\n', opts: opts.join('\n') + '\n', tagged };
}
