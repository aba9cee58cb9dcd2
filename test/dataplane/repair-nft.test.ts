// The linux network driver's self-repair of nftables tables, as root in an isolated underlay: a
// router's NAT table or the underlay's security-group/anti-spoofing tables flushed or deleted
// behind the driver's back are found (fingerprint against what it last programmed) and rewritten.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';
import { hostRunner, runAll } from '../../src/dataplane/exec.js';
import { nsName } from '../../src/dataplane/names.js';
import type { PortSpec, SecurityGroupSpec } from '../../src/drivers/network/driver.js';
import { dev } from '../../src/drivers/network/linux/names.js';
import { resyncFromEnv } from '../../src/core/resync.js';
import { background, dataplaneSkipReason, instanceAndClient, makeLinuxNetwork, sh, type LinuxNet } from '../support/dataplane.js';
import { ipOf, leg, net, port, rule } from '../support/network-specs.js';

const skip = dataplaneSkipReason();

/** A driver built with `STRATUS_RESYNC_MS` set to `ms` for its construction only. */
async function withResync(ms: string | undefined): Promise<LinuxNet> {
  const saved = process.env.STRATUS_RESYNC_MS;
  if (ms === undefined) delete process.env.STRATUS_RESYNC_MS;
  else process.env.STRATUS_RESYNC_MS = ms;
  try {
    return await makeLinuxNetwork();
  } finally {
    if (saved === undefined) delete process.env.STRATUS_RESYNC_MS;
    else process.env.STRATUS_RESYNC_MS = saved;
  }
}

describe('linux network driver: self-repair of nftables tables', { skip, timeout: 60_000 }, () => {
  let L: LinuxNet;
  const ext = net('172.31.39.0/24', true);
  const a = net('10.91.0.0/24');
  const routerId = randomUUID();
  const FIP = '172.31.39.50';
  const sg: SecurityGroupSpec = { id: randomUUID(), stateful: true, memberIps: [], rules: [rule({ direction: 'egress' }), rule({ protocol: 6, portRangeMin: 22, portRangeMax: 22 })] };
  let vm: PortSpec;
  let vmNs = '';
  let client = '';
  const rns = () => nsName(L.prefix, 'r', routerId);
  /** True when the client reaches tcp `p` of the instance through the floating IP. */
  const reaches = async (p: number) => {
    const srv = await background(vmNs, `socat TCP-LISTEN:${p},reuseaddr SYSTEM:'echo hi-${p}'`);
    try {
      return /hi-/.test((await sh(client, `nc -w1 ${FIP} ${p} </dev/null`)).out);
    } finally {
      srv.stop();
    }
  };

  before(async () => {
    // The periodic loop is off here, so each pass below is the test's own.
    L = await withResync('0');
    const d = L.driver;
    await d.start();
    await d.syncSecurityGroup(sg);
    await d.ensureNetwork(ext);
    await d.ensureNetwork(a);
    vm = port(a, 11, 'fa:16:3e:00:04:0b', [sg.id]);
    await d.plugPort(vm);
    await d.ensureRouter({ id: routerId, adminStateUp: true, interfaces: [leg(a, 1, 'fa:16:3e:00:04:01')], gateway: { ...leg(ext, 10, 'fa:16:3e:00:04:02'), enableSnat: true, nexthops: [] }, routes: [] });
    await d.mapFloatingIp({ id: randomUUID(), routerId, floatingIp: FIP, fixedIp: ipOf(a, 11), portId: vm.id, externalNetworkId: ext.id });
    ({ vmNs, client } = await instanceAndClient(L, vm, { tag: 'rn', extBridge: dev.bridge(ext.id), vmIp: ipOf(a, 11), gatewayIp: ipOf(a, 1), clientIp: '172.31.39.100' }));
  });
  after(async () => {
    await L?.cleanup();
  });

  it('finds nothing to repair when the tables are as programmed, and says what a pass costs', async () => {
    assert.ok(await reaches(22), 'tcp/22 is allowed through the floating IP');
    const t0 = performance.now();
    assert.deepEqual(await L.driver.repair(), []);
    console.log(`# repair pass with nothing to do: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('re-programs a router table that was flushed, then one that was deleted', async () => {
    await runAll(hostRunner, [{ argv: ['nsenter', `--net=/run/netns/${rns()}`, '--', 'nft', 'flush', 'table', 'ip', 'stx'] }]);
    assert.equal(await reaches(22), false, 'the flush broke the floating IP');
    let t0 = performance.now();
    let done = await L.driver.repair();
    console.log(`# detect + repair of a flushed router table: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(done.length, 1, done.join('; '));
    assert.match(done[0]!, new RegExp(`^router ${routerId}: table ip stx changed \\(0 of \\d+ rules\\)$`));
    assert.ok(await reaches(22), 'the floating IP works again');
    await runAll(hostRunner, [{ argv: ['nsenter', `--net=/run/netns/${rns()}`, '--', 'nft', 'delete', 'table', 'ip', 'stx'] }]);
    t0 = performance.now();
    done = await L.driver.repair();
    console.log(`# detect + repair of a deleted router table: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(done, [`router ${routerId}: table ip stx missing`]);
    assert.match((await sh(rns(), 'nft list map ip stx fip_dnat')).out, /172\.31\.39\.50 : 10\.91\.0\.11/);
    assert.ok(await reaches(22));
    assert.deepEqual(await L.driver.repair(), [], 'a second pass finds nothing');
  });

  it('re-programs the security groups after iptables -F, and anti-spoofing after its table is deleted', async () => {
    assert.equal(await reaches(23), false, 'no rule allows tcp/23');
    await runAll(hostRunner, [{ argv: ['nsenter', `--net=/run/netns/${L.prefix}`, '--', 'iptables-nft', '-F'] }]);
    assert.equal(await reaches(23), true, 'with the chains flushed, everything passes');
    let t0 = performance.now();
    let done = await L.driver.repair();
    console.log(`# detect + repair of flushed security-group chains: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(done.length, 1, done.join('; '));
    assert.match(done[0]!, /^security-group\/anti-spoofing tables: table ip filter changed \(0 of \d+ rules\)$/);
    assert.equal(await reaches(23), false, 'tcp/23 is blocked again');
    assert.ok(await reaches(22));
    await runAll(hostRunner, [{ argv: ['nsenter', `--net=/run/netns/${L.prefix}`, '--', 'nft', 'delete', 'table', 'bridge', 'stx_guard'] }]);
    t0 = performance.now();
    done = await L.driver.repair();
    console.log(`# detect + repair of a deleted anti-spoofing table: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(done, ['security-group/anti-spoofing tables: table bridge stx_guard missing']);
    assert.match((await sh(L.prefix, 'nft list table bridge stx_guard')).out, new RegExp(`iifname "${dev.tap(vm.id)}"`));
    assert.deepEqual(await L.driver.repair(), []);
  });
});

describe('linux network driver: periodic repair of a flushed nft table at the default period', { skip, timeout: 60_000 }, () => {
  let L: LinuxNet;
  const ext = net('172.31.49.0/24', true);
  const a = net('10.92.0.0/24');
  const routerId = randomUUID();

  before(async () => {
    L = await withResync(undefined);
    await L.driver.start();
    await L.driver.ensureNetwork(ext);
    await L.driver.ensureNetwork(a);
    await L.driver.ensureRouter({ id: routerId, adminStateUp: true, interfaces: [leg(a, 1, 'fa:16:3e:00:05:01')], gateway: { ...leg(ext, 10, 'fa:16:3e:00:05:02'), enableSnat: true, nexthops: [] }, routes: [] });
  });
  after(async () => {
    await L?.cleanup();
  });

  it('puts a flushed router table back within one period', async () => {
    const period = resyncFromEnv({});
    const rns = nsName(L.prefix, 'r', routerId);
    const count = async () => ((await sh(rns, 'nft -a list table ip stx')).out.match(/# handle \d+\n/g) ?? []).length;
    const before = await count();
    assert.ok(before > 0);
    await runAll(hostRunner, [{ argv: ['nsenter', `--net=/run/netns/${rns}`, '--', 'nft', 'flush', 'table', 'ip', 'stx'] }]);
    const t0 = performance.now();
    let n = 0;
    while ((n = await count()) < before && performance.now() - t0 < period + 5000) await new Promise((r) => setTimeout(r, 100));
    const ms = performance.now() - t0;
    console.log(`# periodic detect + repair of a flushed router table at the default ${period} ms period: ${ms.toFixed(0)} ms`);
    assert.equal(n, before, `the table came back within ${period} ms + 5 s`);
  });
});

if (skip) test('linux nft self-repair', { skip }, () => {});
