// The linux network driver end to end, as root in an isolated underlay: two tenants with
// routers, DHCP, metadata, security groups, anti-spoofing and a floating IP, exercised from
// plain namespaces standing in for instances and from a client on the external bridge.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { hostRunner, ipBatch, runAll } from '../../src/dataplane/exec.js';
import { nsName } from '../../src/dataplane/names.js';
import { peerName, type PortSpec, type SecurityGroupSpec } from '../../src/drivers/network/driver.js';
import { dev } from '../../src/drivers/network/linux/names.js';
import { background, dataplaneSkipReason, makeLinuxNetwork, sh, type LinuxNet } from '../support/dataplane.js';
import { ipOf, leg, net, port, rule } from '../support/network-specs.js';

const skip = dataplaneSkipReason();

const macOf = (i: number) => `fa:16:3e:00:01:${i.toString(16).padStart(2, '0')}`;

describe('linux network driver: two tenants, a router each, a floating IP', { skip, timeout: 120_000 }, () => {
  let L: LinuxNet;
  const ext = net('172.31.9.0/24', true);
  const a = net('10.61.0.0/24');
  const b = net('10.62.0.0/24');
  const sgId = randomUUID();
  let sg: SecurityGroupSpec;
  let vm1: PortSpec, vm2: PortSpec, vm3: PortSpec;
  const ns: Record<string, string> = {};
  const FIP = '172.31.9.50';
  let createMs = 0;

  /** Moves a port's peer into a fresh namespace as eth0 (what the compute driver does). */
  async function instance(name: string, p: PortSpec, staticIp?: string, gw?: string): Promise<string> {
    const n = nsName(L.prefix, 't', name);
    L.inventory.record({ kind: 'netns', key: n, note: 'test instance' });
    await runAll(hostRunner, [{ argv: ['ip', 'netns', 'add', n] }, ipBatch(L.prefix, [`link set ${peerName(p.id)} netns ${n}`])]);
    const lines = ['link set lo up', `link set ${peerName(p.id)} name eth0`, 'link set eth0 up'];
    if (staticIp) lines.push(`addr add ${staticIp}/24 dev eth0`, `route add default via ${gw}`);
    await runAll(hostRunner, [ipBatch(n, lines)]);
    return n;
  }

  before(async () => {
    L = await makeLinuxNetwork();
    const d = L.driver;
    await d.start();
    sg = {
      id: sgId,
      stateful: true,
      memberIps: [ipOf(a, 11), ipOf(a, 12)],
      rules: [rule({ direction: 'egress' }), rule({ remoteGroupId: sgId }), rule({ protocol: 1, remoteIpPrefix: '0.0.0.0/0' })],
    };
    await d.syncSecurityGroup(sg);
    const t0 = performance.now();
    await d.ensureNetwork(ext);
    await d.ensureNetwork(a);
    vm1 = port(a, 11, macOf(1), [sgId]);
    await d.plugPort(vm1);
    const ra = { id: randomUUID(), adminStateUp: true, interfaces: [leg(a, 1, macOf(0x11))], gateway: { ...leg(ext, 10, macOf(0x21)), enableSnat: true, nexthops: [] }, routes: [] };
    await d.ensureRouter(ra);
    createMs = performance.now() - t0;
    await d.ensureNetwork(b);
    vm2 = port(a, 12, macOf(2), [sgId]);
    vm3 = port(b, 11, macOf(3), [sgId]);
    await d.plugPort(vm2);
    await d.plugPort(vm3);
    await d.ensureRouter({ id: randomUUID(), adminStateUp: true, interfaces: [leg(b, 1, macOf(0x12))], gateway: { ...leg(ext, 11, macOf(0x22)), enableSnat: true, nexthops: [] }, routes: [] });
    await d.mapFloatingIp({ id: randomUUID(), routerId: ra.id, floatingIp: FIP, fixedIp: ipOf(a, 11), portId: vm1.id, externalNetworkId: ext.id });
    await d.ensureMetadataProxy({ networkId: a.id, cidrs: [a.subnets[0]!.cidr] });
    await d.syncDhcp({
      networkId: a.id,
      serverPort: leg(a, 2, macOf(0x31)),
      subnets: a.subnets,
      hosts: [vm1, vm2].map((p) => ({ portId: p.id, macAddress: p.macAddress, ipAddress: p.fixedIps[0]!.ipAddress, hostname: `vm-${p.id.slice(0, 4)}`, options: [] })),
      mtu: a.mtu,
      dnsDomain: 'openstacklocal.',
    });
    ns.vm1 = await instance('vm1', vm1);
    ns.vm2 = await instance('vm2', vm2, ipOf(a, 12), ipOf(a, 1));
    ns.vm3 = await instance('vm3', vm3, ipOf(b, 11), ipOf(b, 1));
    // The client: a namespace on the external bridge, inside the underlay.
    ns.client = nsName(L.prefix, 't', 'client');
    L.inventory.record({ kind: 'netns', key: ns.client, note: 'test client' });
    await runAll(hostRunner, [
      { argv: ['ip', 'netns', 'add', ns.client] },
      ipBatch(L.prefix, [`link add tclient type veth peer name eth0 netns ${ns.client}`, `link set tclient master ${dev.bridge(ext.id)}`, 'link set tclient up']),
      ipBatch(ns.client, ['link set lo up', 'link set eth0 up', 'addr add 172.31.9.100/24 dev eth0']),
    ]);
  });
  after(async () => {
    if (L) await L.cleanup();
  });

  it('gives an instance its address, gateway and metadata route by DHCP (dnsmasq, busybox udhcpc)', async () => {
    const script = join(L.dataDir, 'udhcpc.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        '[ "$1" = bound ] || exit 0',
        'echo "lease ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu routes=$staticroutes"',
        'ip addr add $ip/$mask dev $interface',
        'set -- $staticroutes',
        'while [ $# -ge 2 ]; do [ "$1" = 0.0.0.0/0 ] && ip route add default via $2 || ip route add $1 via $2; shift 2; done',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const t0 = performance.now();
    const r = await sh(ns.vm1!, `busybox udhcpc -i eth0 -n -q -f -t 5 -T 1 -O staticroutes -O mtu -s ${script}`, 15_000);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`lease ip=${ipOf(a, 11).replace(/\./g, '\\.')} mask=24 router=${ipOf(a, 1).replace(/\./g, '\\.')}`));
    assert.match(r.out, /routes=169\.254\.169\.254\/32 10\.61\.0\.2 0\.0\.0\.0\/0 10\.61\.0\.1/);
    assert.match(r.out, /mtu=1450/);
    console.log(`# DHCP lease in ${ms.toFixed(0)} ms; network + port + router created in ${createMs.toFixed(0)} ms`);
  });

  it('carries ping and TCP between instances of one network', async () => {
    assert.equal((await sh(ns.vm1!, `ping -c1 -W2 ${ipOf(a, 12)}`)).code, 0);
    const srv = await background(ns.vm2!, 'nc -l -p 8080');
    try {
      const r = await sh(ns.vm1!, `echo hello-vm2 | nc -N -w3 ${ipOf(a, 12)} 8080`);
      assert.equal(r.code, 0, r.out);
      await new Promise((res) => setTimeout(res, 100));
      assert.match(srv.output(), /hello-vm2/);
    } finally {
      srv.stop();
    }
  });

  it('keeps tenants apart: another tenant\'s instance is unreachable', async () => {
    assert.notEqual((await sh(ns.vm1!, `ping -c1 -W1 ${ipOf(b, 11)}`)).code, 0);
    assert.notEqual((await sh(ns.vm3!, `ping -c1 -W1 ${ipOf(a, 12)}`)).code, 0);
    assert.notEqual((await sh(ns.client!, `ip route add 10.61.0.0/24 via 172.31.9.11 && ping -c1 -W1 ${ipOf(a, 12)}; r=$?; ip route del 10.61.0.0/24; exit $r`)).code, 0);
  });

  it('SNATs to the router gateway, and to the floating IP for the instance that has one', async () => {
    const srv = await background(ns.client!, `socat TCP-LISTEN:9000,reuseaddr,fork SYSTEM:'echo peer=$SOCAT_PEERADDR'`);
    try {
      assert.match((await sh(ns.vm2!, 'nc -w3 172.31.9.100 9000 </dev/null')).out, /peer=172\.31\.9\.10\b/);
      assert.match((await sh(ns.vm1!, 'nc -w3 172.31.9.100 9000 </dev/null')).out, new RegExp(`peer=${FIP.replace(/\./g, '\\.')}\\b`));
      assert.match((await sh(ns.vm3!, 'nc -w3 172.31.9.100 9000 </dev/null')).out, /peer=172\.31\.9\.11\b/);
    } finally {
      srv.stop();
    }
  });

  it('blocks TCP 22 through the floating IP until a security group rule allows it, then DNATs to the instance', async () => {
    const srv = await background(ns.vm1!, `socat TCP-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh-from=$SOCAT_PEERADDR'`);
    try {
      assert.equal((await sh(ns.client!, `ping -c1 -W2 ${FIP}`)).code, 0, 'ICMP is allowed from anywhere');
      const blocked = await sh(ns.client!, `nc -w2 -z ${FIP} 22`);
      assert.notEqual(blocked.code, 0, 'no ingress rule for tcp/22 yet');
      await L.driver.syncSecurityGroup({ ...sg, rules: [...sg.rules, rule({ protocol: 6, portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' })] });
      const r = await sh(ns.client!, `nc -w3 ${FIP} 22 </dev/null`);
      assert.match(r.out, /ssh-from=172\.31\.9\.100\b/, r.out);
    } finally {
      srv.stop();
      await L.driver.syncSecurityGroup(sg);
    }
  });

  it('drops spoofed source addresses and MACs, and honours allowed address pairs', async () => {
    await runAll(hostRunner, [ipBatch(ns.vm2!, ['addr add 10.61.0.99/24 dev eth0'])]);
    assert.equal((await sh(ns.vm2!, `ping -c1 -W2 ${ipOf(a, 11)}`)).code, 0);
    assert.notEqual((await sh(ns.vm2!, `ping -c1 -W1 -I 10.61.0.99 ${ipOf(a, 11)}`)).code, 0, 'a spoofed source IP is dropped');
    await L.driver.plugPort({ ...vm2, allowedAddressPairs: [{ ipAddress: '10.61.0.99', macAddress: vm2.macAddress }] });
    assert.equal((await sh(ns.vm2!, `ping -c1 -W2 -I 10.61.0.99 ${ipOf(a, 11)}`)).code, 0, 'an allowed address pair passes');
    await L.driver.plugPort(vm2);
    await runAll(hostRunner, [ipBatch(ns.vm2!, ['link set eth0 address fa:16:3e:66:66:66'])]);
    assert.notEqual((await sh(ns.vm2!, `ip neigh flush all; ping -c1 -W1 ${ipOf(a, 11)}`)).code, 0, 'a spoofed MAC is dropped');
    await runAll(hostRunner, [ipBatch(ns.vm2!, [`link set eth0 address ${vm2.macAddress}`, 'addr del 10.61.0.99/24 dev eth0'])]);
    assert.equal((await sh(ns.vm2!, `ip neigh flush all; ping -c1 -W2 ${ipOf(a, 11)}`)).code, 0);
  });

  it('answers 169.254.169.254 through the metadata proxy with the instance\'s address and network', async () => {
    const r = await sh(ns.vm1!, 'busybox wget -q -O- http://169.254.169.254/openstack/latest/meta_data.json');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`instance-at ${ipOf(a, 11).replace(/\./g, '\\.')} on ${a.id} path /openstack/latest/meta_data.json`));
    const spoof = await sh(ns.vm1!, `busybox wget -q -O- --header 'X-Forwarded-For: 10.61.0.12' http://169.254.169.254/x`);
    assert.match(spoof.out, /instance-at 10\.61\.0\.11 /, 'a client-supplied X-Forwarded-For is replaced');
  });

  it('restarts dnsmasq and the metadata proxy when they die', async () => {
    const pids = L.inventory.list('pid');
    assert.equal(pids.length, 2, 'dnsmasq and the metadata proxy are recorded by PID');
    for (const p of pids) process.kill(Number(p.key), 'SIGKILL');
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = (await sh(ns.vm1!, 'timeout 2 busybox wget -q -O- http://169.254.169.254/again')).code === 0;
    }
    assert.ok(ok, 'the proxy came back');
    const lease = await sh(ns.vm1!, 'busybox udhcpc -i eth0 -n -q -f -t 5 -T 1 -s /bin/true');
    assert.match(lease.out, /lease of 10\.61\.0\.11 obtained/, 'dnsmasq came back');
    assert.equal(L.inventory.list('pid').length, 2);
  });

  it('measures TCP throughput through the floating IP beside a raw veth', { timeout: 60_000 }, async () => {
    await L.driver.syncSecurityGroup({ ...sg, rules: [...sg.rules, rule({ protocol: 6, portRangeMin: 5001, portRangeMax: 5001, remoteIpPrefix: '0.0.0.0/0' })] });
    const MB = 200;
    const transfer = async (server: string, client: string, addr: string) => {
      const srv = await background(server, 'nc -l -p 5001 >/dev/null');
      const t0 = performance.now();
      const r = await sh(client, `head -c ${MB}M /dev/zero | nc -N -w5 ${addr} 5001`, 60_000);
      const s = (performance.now() - t0) / 1000;
      srv.stop();
      assert.equal(r.code, 0, r.out);
      return (MB * 8) / s;
    };
    // Baseline: a bare veth pair between two namespaces.
    const x = nsName(L.prefix, 't', 'rawx');
    const y = nsName(L.prefix, 't', 'rawy');
    for (const n of [x, y]) L.inventory.record({ kind: 'netns', key: n, note: 'test baseline' });
    await runAll(hostRunner, [
      { argv: ['ip', 'netns', 'add', x] },
      { argv: ['ip', 'netns', 'add', y] },
      ipBatch(x, [`link add eth0 type veth peer name eth0 netns ${y}`, 'link set eth0 up', 'addr add 192.168.250.1/30 dev eth0']),
      ipBatch(y, ['link set eth0 up', 'addr add 192.168.250.2/30 dev eth0']),
    ]);
    const raw = await transfer(y, x, '192.168.250.2');
    const fip = await transfer(ns.vm1!, ns.client!, FIP);
    console.log(`# TCP ${MB} MB: raw veth ${raw.toFixed(0)} Mbit/s, through the floating IP ${fip.toFixed(0)} Mbit/s (${((fip / raw) * 100).toFixed(0)}%)`);
    assert.ok(fip > 0 && raw > 0);
  });
});

if (skip) test('linux network topology', { skip }, () => {});
