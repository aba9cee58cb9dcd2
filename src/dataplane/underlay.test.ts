import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingRunner } from './exec.js';
import { Inventory } from './inventory.js';
import { cloudPrefix, nsName, ownsNamespace } from './names.js';
import { GUARD_METRIC, planUnderlay, planUnderlayTeardown, Underlay } from './underlay.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lines = (cmds: ReturnType<typeof planUnderlay>) => cmds.map((c) => c.argv.join(' ') + (c.input ? ` <<< ${c.input.trim()}` : ''));

describe('underlay planner', () => {
  it('isolated: one namespace, forwarding off, and nothing at all in the root namespace', () => {
    const l = lines(planUnderlay({ prefix: 'stx-0000abcd', isolated: true }));
    assert.deepEqual(l, [
      'ip netns add stx-0000abcd',
      'ip -n stx-0000abcd -batch - <<< link set lo up',
      'nsenter --net=/run/netns/stx-0000abcd -- sysctl -q -w net.ipv4.ip_forward=0',
      'nsenter --net=/run/netns/stx-0000abcd -- sysctl -q -w net.ipv6.conf.all.forwarding=0',
      'nsenter --net=/run/netns/stx-0000abcd -- sysctl -q -w net.ipv6.conf.default.disable_ipv6=1',
      'nsenter --net=/run/netns/stx-0000abcd -- sysctl -q -w net.bridge.bridge-nf-call-iptables=1',
      'nsenter --net=/run/netns/stx-0000abcd -- sysctl -q -w net.bridge.bridge-nf-call-ip6tables=1',
    ]);
    assert.ok(l.every((x) => x.startsWith('ip netns add') || x.includes('stx-0000abcd -') || x.startsWith('nsenter --net=/run/netns/stx-0000abcd')), 'every command targets the underlay');
  });

  it('with an uplink: one veth carrying only the external range, plus the unreachable guard at a higher metric', () => {
    const l = lines(planUnderlay({ prefix: 'stx-0000abcd', isolated: false, uplink: { cidr: '172.24.4.0/24', hostAddress: '172.24.4.1' } }));
    const root = l.filter((x) => x.startsWith('ip ') && !x.startsWith('ip -n') && !x.startsWith('ip netns'));
    assert.deepEqual(root, [
      'ip link add stx-0000abcd type veth peer name uplink netns stx-0000abcd',
      'ip addr add 172.24.4.1/24 dev stx-0000abcd noprefixroute',
      'ip link set stx-0000abcd up',
      'ip route add 172.24.4.0/24 dev stx-0000abcd metric 100',
      `ip route replace unreachable 172.24.4.0/24 metric ${GUARD_METRIC}`,
    ]);
    assert.ok(!l.some((x) => /ip_forward=1|masquerade|snat|nat/i.test(x)), 'no forwarding or NAT anywhere near the root namespace');
    assert.equal(l.at(-1), 'ip -n stx-0000abcd -batch - <<< link set uplink up');
  });

  it('adopts: an existing namespace and uplink are not created again', () => {
    const l = lines(planUnderlay({ prefix: 'stx-1', isolated: false, uplink: { cidr: '172.24.4.0/24', hostAddress: '172.24.4.1' } }, { netns: true, uplink: true }));
    assert.ok(!l.some((x) => x.startsWith('ip netns add') || x.includes('veth') || x.includes('route')));
  });

  it('tears down the uplink before the guard route, then the namespace', () => {
    const l = lines(planUnderlayTeardown({ prefix: 'stx-1', isolated: false, uplink: { cidr: '172.24.4.0/24', hostAddress: '172.24.4.1' } }));
    assert.deepEqual(l, ['ip link del stx-1', `ip route del unreachable 172.24.4.0/24 metric ${GUARD_METRIC}`, 'ip netns del stx-1']);
    assert.deepEqual(lines(planUnderlayTeardown({ prefix: 'stx-1', isolated: true })), ['ip netns del stx-1']);
  });

  it('records the uplink and guard route in the inventory when it builds them (runner recorded, nothing run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stx-unit-'));
    try {
      const inv = new Inventory(dir);
      const runner = new RecordingRunner();
      await new Underlay({ prefix: 'stx-notreal0', isolated: false, uplink: { cidr: '172.24.4.0/24', hostAddress: '172.24.4.1' } }, runner, inv).ensure();
      assert.ok(runner.lines().includes('ip link add stx-notreal0 type veth peer name uplink netns stx-notreal0'));
      assert.deepEqual(inv.list().map((e) => `${e.kind} ${e.key}`).sort(), ['link stx-notreal0', 'netns stx-notreal0', `route unreachable 172.24.4.0/24 metric ${GUARD_METRIC}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('names', () => {
  it('derives one stable prefix per data dir and names namespaces below it', () => {
    assert.match(cloudPrefix('/var/lib/stratus'), /^stx-[0-9a-f]{8}$/);
    assert.equal(cloudPrefix('/var/lib/stratus'), cloudPrefix('/var/lib/stratus/'));
    assert.notEqual(cloudPrefix('/a'), cloudPrefix('/b'));
    const p = cloudPrefix('/a');
    assert.equal(nsName(p, 'r', 'abc'), `${p}-r-abc`);
    assert.ok(ownsNamespace(p, `${p}-r-abc`) && ownsNamespace(p, p) && !ownsNamespace(p, `${p}x`));
    assert.throws(() => nsName(p, 'r', '../etc'));
  });
});
