import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPools, eui64, formatCidr, formatIp, normalizeIp, normalizeMac, overlaps, parseCidr, parseIp, within } from './ip.js';

describe('ip arithmetic', () => {
  it('parses strictly and formats canonically (RFC 5952 for IPv6)', () => {
    assert.equal(normalizeIp('10.0.0.1'), '10.0.0.1');
    for (const bad of ['010.0.0.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', '', ':::', '1::2::3', 'fe80::1%eth0', 'g::1']) assert.equal(normalizeIp(bad), undefined, bad);
    assert.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalizeIp('::'), '::');
    assert.equal(normalizeIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(normalizeIp('2001:db8:0:1:0:0:1:1'), '2001:db8:0:1::1:1');
    assert.equal(normalizeIp('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
    assert.equal(formatIp(4, parseIp('192.168.1.255')!.n + 1n), '192.168.2.0');
  });

  it('knows CIDRs: network address, containment and overlap', () => {
    const c = parseCidr('10.100.0.5/28')!;
    assert.equal(formatCidr(c), '10.100.0.0/28');
    assert.notEqual(c.given, c.first);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.ok(overlaps(parseCidr('10.0.0.0/24')!, parseCidr('10.0.0.128/25')!));
    assert.ok(!overlaps(parseCidr('10.0.0.0/25')!, parseCidr('10.0.0.128/25')!));
    assert.ok(!overlaps(parseCidr('10.0.0.0/8')!, parseCidr('::/0')!));
    assert.ok(within(parseCidr('10.0.1.0/24')!, parseCidr('10.0.0.0/22')!));
  });

  it('computes Neutron’s default allocation pools around the gateway', () => {
    const show = (cidr: string, gw: string | null) =>
      defaultPools(parseCidr(cidr)!, gw === null ? null : parseIp(gw)!.n).map((r) => `${formatIp(4, r.first)}-${formatIp(4, r.last)}`);
    assert.deepEqual(show('10.0.0.0/24', '10.0.0.1'), ['10.0.0.2-10.0.0.254']);
    assert.deepEqual(show('10.0.0.0/24', '10.0.0.100'), ['10.0.0.1-10.0.0.99', '10.0.0.101-10.0.0.254']);
    assert.deepEqual(show('10.0.0.0/24', null), ['10.0.0.1-10.0.0.254']);
    assert.deepEqual(show('10.0.0.0/31', null), []);
    assert.deepEqual(show('10.0.0.7/32', null), ['10.0.0.7-10.0.0.7']);
  });

  it('derives SLAAC addresses and normalizes MACs', () => {
    assert.equal(formatIp(6, eui64(parseCidr('2001:db8::/64')!, 'fa:16:3e:12:34:56')), '2001:db8::f816:3eff:fe12:3456');
    assert.equal(normalizeMac('FA-16-3E-00-00-01'), 'fa:16:3e:00:00:01');
    assert.equal(normalizeMac('01:00:5e:00:00:01'), undefined, 'multicast');
    assert.equal(normalizeMac('00:00:00:00:00:00'), undefined);
  });
});
