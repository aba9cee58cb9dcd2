import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cloudPrefix } from '../../src/dataplane/names.js';
import { run } from '../support/proc.js';
import { realCloud, realCloudSkipReason, until } from '../support/real-cloud.js';
import { BIN } from '../support/stratus-process.js';

/**
 * Probe tests of issue #6 on the real data plane (a `stratus up` child as root, isolated,
 * every resync at 1 s): a `kill -9` of Stratus with two instances running is adopted by the
 * next `up`; a deleted host-side veth is repaired; an instance whose init was killed is
 * stopped (SHUTOFF, as Nova's power sync does) and `server start` brings it back with its data.
 */
const RESYNC_MS = 1000;

describe('probes: crash adoption and self-repair', { skip: realCloudSkipReason(), timeout: 300_000 }, () => {
  const c = realCloud({ tmpPrefix: 'stratus-probe-', env: { STRATUS_RESYNC_MS: String(RESYNC_MS) }, sshConnectTimeoutS: 2 });
  const { data, key, os, ssh, sshOk } = c;
  const prefix = cloudPrefix(data);
  let fip = '';
  let ipB = '';
  const ids: Record<string, string> = {};
  const jump = () => c.jump(fip);

  const status = (name: string) => os(['server', 'show', name, '-f', 'value', '-c', 'status']);
  const netnsOf = () => readdirSync('/run/netns').filter((n) => n.startsWith(prefix)).sort();
  /** PIDs (host view) of the init of each instance: the process whose innermost pid is 1. */
  const initPid = (serverId: string): number | undefined => {
    const ns = `/run/netns/${prefix}-i-${serverId}`;
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const status = readFileSync(`/proc/${p}/status`, 'utf8');
        const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
        if (!nspid || nspid.length < 2 || nspid[nspid.length - 1] !== '1') continue;
        if (sameNetns(Number(p), ns)) return Number(p);
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  };
  /** Processes of this cloud: shims, dnsmasq, metadata proxies (by their command lines). */
  const snapshot = async () => (await run('sh', ['-c', `ps -eo pid=,args= | grep -v grep | grep -e '${prefix}' -e '${data}' || true`])).stdout.trim().split('\n').filter(Boolean);
  // Lasting processes only: those in two snapshots 300 ms apart (the self-repair's short-lived
  // `nsenter … ip` calls run every resync and must not be counted).
  const processes = async () => {
    const first = new Set(await snapshot());
    await new Promise((r) => setTimeout(r, 300));
    return (await snapshot()).filter((line) => first.has(line));
  };

  before(() => c.start());
  after(() => c.cleanup());

  it('kill -9 of Stratus with two instances running: the next up adopts them (same inits, nothing doubled)', async (t) => {
    if (!c.requireReal(t)) return;
    await os(['keypair', 'create', '--public-key', `${key}.pub`, 'k1']);
    await os(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'default']);
    await os(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    for (const name of ['vm-a', 'vm-b']) {
      await os(['server', 'create', '--image', 'cirros', '--flavor', 'cirros256', '--network', 'private', '--key-name', 'k1', '--wait', name], 120_000);
      ids[name] = await os(['server', 'show', name, '-f', 'value', '-c', 'id']);
    }
    ipB = /(10\.0\.0\.\d+)/.exec(await os(['server', 'show', 'vm-b', '-f', 'value', '-c', 'addresses']))?.[1] ?? '';
    fip = await os(['floating', 'ip', 'create', 'public', '-f', 'value', '-c', 'floating_ip_address']);
    await os(['server', 'add', 'floating', 'ip', 'vm-a', fip]);
    assert.equal(await sshOk(`cirros@${fip}`, 'hostname'), 'vm-a');
    assert.equal(await sshOk(`cirros@${ipB}`, 'hostname', jump()), 'vm-b');

    const inits = { a: initPid(ids['vm-a']!), b: initPid(ids['vm-b']!) };
    assert.ok(inits.a && inits.b, 'both instances have an init process');
    const nsBefore = netnsOf();
    const procsBefore = (await processes()).length;
    const dnsmasqBefore = (await processes()).filter((l) => /dnsmasq/.test(l)).length;

    // kill -9: no shutdown code runs at all.
    const exited = new Promise((r) => c.cloud!.proc.once('exit', r));
    process.kill(c.cloud!.proc.pid!, 'SIGKILL');
    await exited;
    await c.start();

    assert.equal(await status('vm-a'), 'ACTIVE');
    assert.equal(await status('vm-b'), 'ACTIVE');
    assert.equal(await sshOk(`cirros@${fip}`, 'hostname'), 'vm-a');
    assert.equal(await sshOk(`cirros@${ipB}`, 'hostname', jump()), 'vm-b');
    assert.deepEqual({ a: initPid(ids['vm-a']!), b: initPid(ids['vm-b']!) }, inits, 'the instances were adopted, not restarted');
    assert.deepEqual(netnsOf(), nsBefore, 'the same namespaces, none doubled or lost');
    const procs = await processes();
    assert.equal(procs.filter((l) => /dnsmasq/.test(l)).length, dnsmasqBefore, `one dnsmasq per network: ${procs.join(' | ')}`);
    assert.equal(procs.length, procsBefore, `the same helper processes as before the crash: ${procs.join(' | ')}`);
  });

  it('a deleted host-side veth is re-plugged and re-linked: ssh works again within the resync', async (t) => {
    if (!c.real) return t.skip('needs the real drivers');
    const portId = await os(['port', 'list', '--server', 'vm-a', '-f', 'value', '-c', 'ID']);
    const tap = `tap${portId.slice(0, 11)}`;
    const del = await run('nsenter', [`--net=/run/netns/${prefix}`, '--', 'ip', 'link', 'del', tap]);
    assert.equal(del.code, 0, del.stderr);
    const t0 = Date.now();
    assert.equal(await sshOk(`cirros@${fip}`, 'hostname'), 'vm-a');
    const ms = Date.now() - t0;
    console.log(`# ssh to vm-a again ${ms} ms after its tap was deleted (resync every ${RESYNC_MS} ms)`);
    assert.ok(ms < 15_000, `repaired in ${ms} ms`);
    const inside = await run('ip', ['-n', `${prefix}-i-${ids['vm-a']}`, '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(inside.stdout, /10\.0\.0\.\d+\/26/, 'the guest kept its address');
    // East-west too: vm-a still reaches vm-b.
    const r = await ssh(`root@${fip}`, `ping -c 1 -W 2 ${ipB} >/dev/null && echo ping-ok`);
    assert.match(r.stdout, /ping-ok/, r.stderr);
    assert.match(await os(['console', 'log', 'show', 'vm-a']), /re-linked/);
  });

  it('a killed instance init: the server goes SHUTOFF (power sync) and server start brings it back with its root disk', async (t) => {
    if (!c.real) return t.skip('needs the real drivers');
    assert.equal((await ssh(`root@${fip}`, 'echo probe-data > /root/probe && sync && echo ok')).stdout.trim(), 'ok');
    const pid = initPid(ids['vm-a']!);
    assert.ok(pid, 'vm-a has an init');
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    await until(async () => (await status('vm-a')) === 'SHUTOFF' || false, 20_000, 'vm-a SHUTOFF');
    console.log(`# vm-a SHUTOFF ${Date.now() - t0} ms after its init was killed`);
    assert.equal(await os(['server', 'show', 'vm-a', '-f', 'value', '-c', 'OS-EXT-STS:power_state']), '4', 'power state SHUTDOWN');
    assert.match(await os(['server', 'event', 'list', 'vm-a', '-f', 'value', '-c', 'Action']), /^stop$/m, 'the stop is recorded as an instance action');
    assert.equal(await status('vm-b'), 'ACTIVE', 'the other server is untouched');
    await os(['server', 'start', 'vm-a']);
    await until(async () => (await status('vm-a')) === 'ACTIVE' || false, 60_000, 'vm-a ACTIVE again');
    assert.equal(await sshOk(`root@${fip}`, 'cat /root/probe'), 'probe-data');
    assert.notEqual(initPid(ids['vm-a']!), pid, 'a new init');
  });

  it('stratus down leaves nothing of the cloud', async (t) => {
    if (!c.real) return t.skip('needs the real drivers');
    await c.cloud!.stop();
    const r = await run(process.execPath, [BIN, 'down', '--data-dir', data], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(netnsOf(), []);
    assert.deepEqual(await processes(), []);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(data));
  });
});

/** Whether process `pid` lives in the network namespace bound at `nsPath`. */
function sameNetns(pid: number, nsPath: string): boolean {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino === statSync(nsPath).ino;
  } catch {
    return false;
  }
}
