import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PortSpec, RouterSpec, SecurityGroupSpec } from '../driver.js';
import { dnsmasqConfig, guardNft, inCidr, netmask, networkAddress, routerNft } from './rules.js';
import { isStatelessPort, securityRules } from './secgroups.js';

const P = '11111111-2222-3333-4444-555555555555';
const port: PortSpec = {
  id: P,
  networkId: 'n1',
  macAddress: 'FA:16:3E:00:00:01',
  mtu: 1450,
  adminStateUp: true,
  fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.5', cidr: '10.0.0.0/24' }],
  portSecurity: true,
  securityGroupIds: ['g1'],
  allowedAddressPairs: [{ ipAddress: '10.0.0.128/25', macAddress: '' }],
  deviceOwner: 'compute:nova',
  deviceId: 'd',
};

describe('linux driver rule builders', () => {
  it('computes IPv4 prefixes', () => {
    assert.equal(netmask(26), '255.255.255.192');
    assert.equal(networkAddress('10.0.0.77/26'), '10.0.0.64');
    assert.ok(inCidr('10.0.0.5', '10.0.0.0/24') && !inCidr('10.0.1.5', '10.0.0.0/24'));
  });

  it('renders floating IPs as 1:1 maps, gateway SNAT, and a gateway that lets in only replies and DNAT', () => {
    const r: RouterSpec = {
      id: 'r',
      adminStateUp: true,
      interfaces: [{ portId: 'aaaaaaaaaaaaaaaa', networkId: 'n1', macAddress: 'm', fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.1', cidr: '10.0.0.0/24' }] }],
      gateway: { portId: 'bbbbbbbbbbbbbbbb', networkId: 'e', macAddress: 'm', fixedIps: [{ subnetId: 'x', ipAddress: '172.24.4.5', cidr: '172.24.4.0/24' }], enableSnat: true, nexthops: ['172.24.4.1'] },
      routes: [],
    };
    const t = routerNft(r, [{ id: 'f', routerId: 'r', floatingIp: '172.24.4.50', fixedIp: '10.0.0.5', portId: P, externalNetworkId: 'e' }]);
    assert.ok(t.startsWith('table ip stx {}\ndelete table ip stx\n'), 'an atomic replace');
    assert.match(t, /map fip_dnat \{ type ipv4_addr : ipv4_addr; elements = \{ 172\.24\.4\.50 : 10\.0\.0\.5 \}; \}/);
    assert.match(t, /map fip_snat \{ type ipv4_addr : ipv4_addr; elements = \{ 10\.0\.0\.5 : 172\.24\.4\.50 \}; \}/);
    assert.match(t, /oifname "qg-bbbbbbbbbbb" ip saddr \{ 10\.0\.0\.0\/24 \} snat to 172\.24\.4\.5/);
    assert.match(t, /iifname "qg-bbbbbbbbbbb" ct status dnat accept; iifname "qg-bbbbbbbbbbb" drop/);
    assert.doesNotMatch(routerNft({ ...r, gateway: { ...r.gateway!, enableSnat: false } }, []), /snat to 172/);
    assert.doesNotMatch(routerNft({ ...r, gateway: null }, []), /nat/);
  });

  it('guards a port to its MAC and addresses, allowed pairs included', () => {
    const g = guardNft([port, { ...port, id: '99999999-0000-0000-0000-000000000000', portSecurity: false }]);
    assert.match(g, /iifname "tap11111111-22" jump p_1111111122223333/);
    assert.doesNotMatch(g, /tap99999999/, 'no guard without port security');
    assert.match(g, /ether saddr != \{ fa:16:3e:00:00:01 \} drop/);
    assert.match(g, /arp saddr ip != \{ 0\.0\.0\.0, 10\.0\.0\.5, 10\.0\.0\.128\/25 \} drop/);
    assert.match(g, /ether saddr fa:16:3e:00:00:01 ip saddr \{ 10\.0\.0\.5, 10\.0\.0\.128\/25 \} return/);
    assert.match(g, /\n    drop\n/);
  });

  it('renders stateful security groups: replies, DHCP, rules, remote groups expanded, default drop', () => {
    const g1: SecurityGroupSpec = {
      id: 'g1',
      stateful: true,
      memberIps: ['10.0.0.5', '10.0.0.6'],
      rules: [
        { id: '1', direction: 'ingress', ethertype: 'IPv4', protocol: 6, portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0', remoteGroupId: null },
        { id: '2', direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: 'g1' },
        { id: '3', direction: 'egress', ethertype: 'IPv4', protocol: 17, portRangeMin: 53, portRangeMax: 54, remoteIpPrefix: '10.9.0.0/16', remoteGroupId: null },
        { id: '4', direction: 'ingress', ethertype: 'IPv6', protocol: 58, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null },
      ],
    };
    const v4 = securityRules([port], new Map([['g1', g1]]), new Map([['n1', 3]]), 4);
    assert.match(v4, /-A PREROUTING -i brqn1 -j CT --zone 3/);
    assert.match(v4, /-A FORWARD -m physdev --physdev-out tap11111111-22 --physdev-is-bridged -j i-1111111122223333/);
    assert.match(v4, /-A i-1111111122223333 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN/);
    assert.match(v4, /-A i-1111111122223333 -p tcp -m tcp --dport 22 -j RETURN/);
    assert.match(v4, /-A i-1111111122223333 -s 10\.0\.0\.6 -j RETURN/);
    assert.match(v4, /-A o-1111111122223333 -p udp -m udp --dport 53:54 -d 10\.9\.0\.0\/16 -j RETURN/);
    assert.match(v4, /-A i-1111111122223333 -j DROP\n/);
    assert.doesNotMatch(v4, /ipv6-icmp/);
    const v6 = securityRules([port], new Map([['g1', g1]]), new Map(), 6);
    assert.match(v6, /-A i-1111111122223333 -p ipv6-icmp -j RETURN/);
    assert.doesNotMatch(v6, /--dport 22/);
  });

  it('renders stateless security groups: NOTRACK ahead of the zones, no conntrack accept, replies by rule only', () => {
    const ssh = { id: '1', direction: 'ingress' as const, ethertype: 'IPv4' as const, protocol: 6, portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: null, remoteGroupId: null };
    const g2: SecurityGroupSpec = { id: 'g2', stateful: false, memberIps: [], rules: [ssh] };
    const g3: SecurityGroupSpec = { id: 'g3', stateful: true, memberIps: [], rules: [] };
    const groups = new Map([['g2', g2], ['g3', g3]]);
    const stateless = { ...port, securityGroupIds: ['g2'] };
    const other = { ...port, id: '99999999-0000-0000-0000-000000000000', securityGroupIds: ['g3'], allowedAddressPairs: [], fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.9', cidr: '10.0.0.0/24' }] };
    assert.equal(isStatelessPort(stateless, groups), true);
    assert.equal(isStatelessPort(other, groups), false);
    assert.equal(isStatelessPort({ ...port, securityGroupIds: ['g2', 'g3'] }, groups), false, 'a mix (refused by the API) stays stateful');
    assert.equal(isStatelessPort({ ...port, securityGroupIds: [] }, groups), false);
    const v4 = securityRules([stateless, other], groups, new Map([['n1', 3]]), 4);
    const raw = v4.slice(0, v4.indexOf('COMMIT'));
    assert.match(raw, /-A PREROUTING -m physdev --physdev-in tap11111111-22 -j CT --notrack\n/);
    assert.match(raw, /-A PREROUTING -i brqn1 -d 10\.0\.0\.5 -j CT --notrack\n/);
    assert.match(raw, /-A PREROUTING -i brqn1 -d 10\.0\.0\.128\/25 -j CT --notrack\n/);
    assert.doesNotMatch(raw, /10\.0\.0\.9|tap99999999/, 'the stateful port is tracked');
    assert.ok(raw.lastIndexOf('--notrack') < raw.indexOf('--zone 3'), 'NOTRACK comes before the zone (the first CT target wins)');
    assert.doesNotMatch(v4, /-A [io]-1111111122223333 -m conntrack/);
    assert.match(v4, /-A i-1111111122223333 -p tcp -m tcp --dport 22 -j RETURN/);
    assert.match(v4, /-A o-1111111122223333 -p udp -m udp --sport 68 --dport 67 -j RETURN\n-A o-1111111122223333 -j DROP\n/, 'no egress rule: only DHCP leaves');
    assert.match(v4, /-A i-9999999900000000 -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN/);
    assert.doesNotMatch(securityRules([stateless], groups, new Map(), 6), /-d 10\.0\.0/, 'IPv4 addresses stay out of the IPv6 table');
  });

  it('configures dnsmasq with static leases, the metadata route and the default route repeated', () => {
    const c = dnsmasqConfig(
      {
        networkId: 'n1',
        serverPort: { portId: 'd', networkId: 'n1', macAddress: 'm', fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.2', cidr: '10.0.0.0/26' }] },
        subnets: [{ id: 's', cidr: '10.0.0.0/26', ipVersion: 4, gatewayIp: '10.0.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [{ destination: '192.168.0.0/24', nexthop: '10.0.0.9' }], ipv6AddressMode: null, ipv6RaMode: null }],
        hosts: [
          { portId: P, macAddress: 'FA:16:3E:00:00:01', ipAddress: '10.0.0.5', hostname: 'vm_1', options: [{ name: 'tftp-server', value: '10.0.0.7', ipVersion: 4 }] },
          { portId: 'p2', macAddress: 'fa:16:3e:00:00:02', ipAddress: '10.0.0.6', hostname: 'vm2', options: [] },
        ],
        mtu: 1450,
        dnsDomain: 'openstacklocal.',
      },
      '/run/x',
      'ns-dhcp',
      true,
    );
    assert.ok(c.args.includes('--dhcp-range=set:s0,10.0.0.0,static,255.255.255.192,86400s'));
    assert.match(c.hosts, /^fa:16:3e:00:00:01,set:p1111111122223333,10\.0\.0\.5,vm-1$/m);
    // Only a port with options sets a tag (dnsmasq 2.90 crashes on SIGHUP with a tagged lease).
    assert.match(c.hosts, /^fa:16:3e:00:00:02,10\.0\.0\.6,vm2$/m);
    assert.equal(c.tagged, true);
    assert.equal(dnsmasqConfig({ networkId: 'n1', serverPort: null, subnets: [], hosts: [{ portId: 'p2', macAddress: 'm2', ipAddress: '10.0.0.6', hostname: 'h', options: [] }], mtu: 1500, dnsDomain: '' }, '/run/x', 'ns-dhcp', false).tagged, false);
    assert.match(c.opts, /tag:s0,option:classless-static-route,169\.254\.169\.254\/32,10\.0\.0\.2,192\.168\.0\.0\/24,10\.0\.0\.9,0\.0\.0\.0\/0,10\.0\.0\.1/);
    assert.match(c.opts, /tag:s0,option:dns-server,10\.0\.0\.2/);
    assert.match(c.opts, /tag:s0,option:mtu,1450/);
    assert.match(c.opts, /tag:p1111111122223333,option:tftp-server,10\.0\.0\.7/);
  });
});
