// The linux network driver's self-repair (`repair()`, run periodically from `start`), as root in
// an isolated underlay: what an operator or a crash removes is rebuilt from the driver's
// desired state, and a second pass finds nothing to do.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { hostRunner, ipBatch, ipJson, runAll } from '../../src/dataplane/exec.js';
import { nsName } from '../../src/dataplane/names.js';
import type { PortSpec } from '../../src/drivers/network/driver.js';
import { dev } from '../../src/drivers/network/linux/names.js';
import { dataplaneSkipReason, makeLinuxNetwork, sh, type LinuxNet } from '../support/dataplane.js';
import { leg, net, port } from '../support/network-specs.js';

const skip = dataplaneSkipReason();

describe('linux network driver: self-repair', { skip, timeout: 60_000 }, () => {
  let L: LinuxNet;
  const ext = net('172.31.19.0/24', true);
  const a = net('10.71.0.0/24');
  const routerId = randomUUID();
  let vm: PortSpec;
  const up = (links: { ifname: string; flags?: string[]; master?: string }[], name: string) => links.find((l) => l.ifname === name);

  before(async () => {
    L = await makeLinuxNetwork();
    const d = L.driver;
    await d.start();
    await d.ensureNetwork(ext);
    await d.ensureNetwork(a);
    vm = port(a, 5, 'fa:16:3e:00:02:05', []);
    await d.plugPort(vm);
    const gw = { ...leg(ext, 10, 'fa:16:3e:00:02:01'), enableSnat: true, nexthops: ['172.31.19.1'] };
    await d.ensureRouter({ id: routerId, adminStateUp: true, interfaces: [leg(a, 1, 'fa:16:3e:00:02:02')], gateway: gw, routes: [] });
    await d.syncDhcp({ networkId: a.id, serverPort: leg(a, 2, 'fa:16:3e:00:02:03'), subnets: a.subnets, hosts: [], mtu: 1450, dnsDomain: 'openstacklocal.' });
    await d.ensureMetadataProxy({ networkId: a.id, cidrs: [a.subnets[0]!.cidr] });
  });
  after(async () => {
    await L?.cleanup();
  });

  it('finds nothing to repair when all is in place', async () => {
    assert.deepEqual(await L.driver.repair(), []);
  });

  it('rebuilds a deleted tap, a router namespace and a DHCP/metadata namespace', async () => {
    const rns = nsName(L.prefix, 'r', routerId);
    const dns = nsName(L.prefix, 'd', a.id);
    await runAll(hostRunner, [
      ipBatch(L.prefix, [`link del ${dev.tap(vm.id)}`]),
      { argv: ['ip', 'netns', 'del', rns] },
      { argv: ['ip', 'netns', 'del', dns] },
    ]);
    const t0 = Date.now();
    const done = await L.driver.repair();
    const ms = Date.now() - t0;
    console.log(`# repair of a tap, a router and a DHCP namespace: ${ms} ms`);
    assert.ok(done.some((d) => d.startsWith(`port ${vm.id}: tap missing`)), done.join('; '));
    assert.ok(done.some((d) => d.startsWith(`router ${routerId}: namespace missing`)), done.join('; '));
    assert.ok(done.some((d) => d.startsWith(`dhcp/metadata of network ${a.id}: namespace missing`)), done.join('; '));
    assert.ok(existsSync(`/run/netns/${rns}`) && existsSync(`/run/netns/${dns}`));
    const links = await ipJson<{ ifname: string; flags?: string[]; master?: string }>(hostRunner, L.prefix, ['link', 'show']);
    assert.equal(up(links, dev.tap(vm.id))?.master, dev.bridge(a.id), 'the tap is back on its bridge');
    assert.ok(up(links, dev.tap(vm.id))?.flags?.includes('UP'));
    // The router answers on its interface again, and dnsmasq and the metadata proxy run in the new namespace.
    const r = await sh(rns, `ip -4 -o addr show; nft list table ip stx >/dev/null && echo nft-ok`);
    assert.match(r.out, /10\.71\.0\.1\/24/);
    assert.match(r.out, /172\.31\.19\.10\/24/);
    assert.match(r.out, /nft-ok/);
    const pids = (await hostRunner.run({ argv: ['ip', 'netns', 'pids', dns] })).stdout.trim().split('\n').filter(Boolean);
    assert.ok(pids.length >= 2, `dnsmasq and the metadata proxy run in the new namespace (pids ${pids.join(' ')})`);
    assert.deepEqual(await L.driver.repair(), [], 'a second pass finds nothing');
  });

  it('puts a tap taken off its bridge or set down back', async () => {
    await runAll(hostRunner, [ipBatch(L.prefix, [`link set ${dev.tap(vm.id)} nomaster`])]);
    assert.deepEqual(await L.driver.repair(), [`port ${vm.id}: tap off its bridge`]);
    await runAll(hostRunner, [ipBatch(L.prefix, [`link set ${dev.tap(vm.id)} down`])]);
    assert.deepEqual(await L.driver.repair(), [`port ${vm.id}: tap down`]);
    const links = await ipJson<{ ifname: string; flags?: string[]; master?: string }>(hostRunner, L.prefix, ['link', 'show']);
    assert.equal(up(links, dev.tap(vm.id))?.master, dev.bridge(a.id));
    assert.ok(up(links, dev.tap(vm.id))?.flags?.includes('UP'));
  });

  it('rebuilds a deleted bridge and re-attaches what hung on it', async () => {
    await runAll(hostRunner, [ipBatch(L.prefix, [`link del ${dev.bridge(a.id)}`])]);
    const done = await L.driver.repair();
    assert.ok(done.includes(`network ${a.id}: bridge missing`), done.join('; '));
    assert.ok(done.includes(`port ${vm.id}: tap off its bridge`), done.join('; '));
    assert.ok(done.some((d) => d.startsWith(`router ${routerId}: leg`)), done.join('; '));
    assert.ok(done.some((d) => d.startsWith(`dhcp/metadata of network ${a.id}: leg`)), done.join('; '));
    assert.deepEqual(await L.driver.repair(), []);
  });
});
