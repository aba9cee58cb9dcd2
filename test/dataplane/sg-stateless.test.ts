// Stateless security groups (Neutron `stateful: false`) on the linux network driver, as root in an
// isolated underlay: no conntrack for the port's traffic, so replies pass only by rule.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';
import type { PortSpec, SecurityGroupSpec } from '../../src/drivers/network/driver.js';
import { dev } from '../../src/drivers/network/linux/names.js';
import { background, dataplaneSkipReason, instanceAndClient, makeLinuxNetwork, sh, type LinuxNet } from '../support/dataplane.js';
import { ipOf, leg, net, port, rule } from '../support/network-specs.js';

const skip = dataplaneSkipReason();

describe('linux network driver: stateless security groups', { skip, timeout: 60_000 }, () => {
  let L: LinuxNet;
  const ext = net('172.31.29.0/24', true);
  const a = net('10.81.0.0/24');
  const FIP = '172.31.29.50';
  const sshOnly = rule({ protocol: 6, portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' });
  const sg: SecurityGroupSpec = { id: randomUUID(), stateful: false, memberIps: [ipOf(a, 11)], rules: [sshOnly] };
  let vm: PortSpec;
  let vmNs = '';
  let client = '';

  before(async () => {
    L = await makeLinuxNetwork();
    const d = L.driver;
    await d.start();
    await d.syncSecurityGroup(sg);
    await d.ensureNetwork(ext);
    await d.ensureNetwork(a);
    vm = port(a, 11, 'fa:16:3e:00:03:0b', [sg.id]);
    await d.plugPort(vm);
    const routerId = randomUUID();
    await d.ensureRouter({ id: routerId, adminStateUp: true, interfaces: [leg(a, 1, 'fa:16:3e:00:03:01')], gateway: { ...leg(ext, 10, 'fa:16:3e:00:03:02'), enableSnat: true, nexthops: [] }, routes: [] });
    await d.mapFloatingIp({ id: randomUUID(), routerId, floatingIp: FIP, fixedIp: ipOf(a, 11), portId: vm.id, externalNetworkId: ext.id });
    // The instance: the port's peer in a namespace of its own; the client: a namespace on the external bridge.
    ({ vmNs, client } = await instanceAndClient(L, vm, { tag: 'sl', extBridge: dev.bridge(ext.id), vmIp: ipOf(a, 11), gatewayIp: ipOf(a, 1), clientIp: '172.31.29.100' }));
  });
  after(async () => {
    await L?.cleanup();
  });

  it('drops the SSH handshake while no egress rule lets the replies out, and completes it once one does', async () => {
    const srv = await background(vmNs, `socat TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh-from=$SOCAT_PEERADDR'`);
    try {
      const blocked = await sh(client, `nc -w2 ${FIP} 22 </dev/null`);
      assert.doesNotMatch(blocked.out, /ssh-from/, 'the SYN gets in but the SYN-ACK is dropped: no conntrack lets it back');
      // Neutron rules match destination ports: the replies go to the client's ephemeral ports.
      await L.driver.syncSecurityGroup({ ...sg, rules: [sshOnly, rule({ direction: 'egress', protocol: 6, portRangeMin: 1024, portRangeMax: 65535, remoteIpPrefix: '0.0.0.0/0' })] });
      const t0 = performance.now();
      const ok = await sh(client, `nc -w3 ${FIP} 22 </dev/null`);
      assert.match(ok.out, /ssh-from=172\.31\.29\.100\b/, ok.out);
      console.log(`# stateless: handshake through the floating IP in ${(performance.now() - t0).toFixed(0)} ms after the egress rule`);
    } finally {
      srv.stop();
    }
  });

  it('keeps no conntrack entry for the port\'s traffic, while the external network is tracked', async () => {
    const ct = (await sh(L.prefix, 'cat /proc/net/nf_conntrack')).out;
    const mine = ct.split('\n').filter((l) => l.includes(`=${ipOf(a, 11)} `));
    assert.deepEqual(mine, [], 'no entry names the stateless port\'s address');
    assert.ok(ct.split('\n').some((l) => l.includes('src=172.31.29.100 ')), `the client's side (a stateful path) is tracked:\n${ct}`);
    const raw = (await sh(L.prefix, 'iptables-save -t raw')).out;
    assert.match(raw, new RegExp(`--physdev-in ${dev.tap(vm.id)} -j CT --notrack`));
  });

  it('tracks the port again once its group turns stateful', async () => {
    await L.driver.syncSecurityGroup({ ...sg, stateful: true });
    const srv = await background(vmNs, `socat TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh-from=$SOCAT_PEERADDR'`);
    try {
      assert.match((await sh(client, `nc -w3 ${FIP} 22 </dev/null`)).out, /ssh-from=/, 'replies pass by conntrack without the egress rule');
    } finally {
      srv.stop();
    }
    const ct = (await sh(L.prefix, 'cat /proc/net/nf_conntrack')).out;
    assert.ok(ct.split('\n').some((l) => l.includes(`=${ipOf(a, 11)} `)), `the port's flow is tracked now:\n${ct}`);
  });
});

if (skip) test('linux stateless security groups', { skip }, () => {});
