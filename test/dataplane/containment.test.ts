// Containment (DESIGN.md §4), as root: a real `stratus up --isolated` builds its data plane,
// traffic is pushed at the external and tenant ranges from inside it, the process is killed
// with -9 and started again (it adopts what it left), and `stratus down` removes everything.
// The root namespace must end exactly as it began, and the host's real NICs must not carry a
// single packet from the data plane's ranges meanwhile.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { leftovers } from '../../src/dataplane/cleanup.js';
import { cloudPrefix } from '../../src/dataplane/names.js';
import { which } from '../../src/dataplane/probe.js';
import { BIN, freePort } from '../support/stratus-process.js';
import { dataplaneSkipReason } from '../support/dataplane.js';

const skip = dataplaneSkipReason() ?? (which('tcpdump') ? undefined : 'tcpdump is not installed (apt-get install tcpdump)');
/** Every range the data plane uses: tenant, external, metadata. */
const FILTER = 'net 10.0.0.0/8 or net 172.16.0.0/12 or net 192.168.0.0/16 or net 169.254.0.0/16';

function rootSnapshot() {
  const j = (args: string[]) => JSON.parse(spawnSync('ip', ['-json', ...args], { encoding: 'utf8' }).stdout || '[]') as Record<string, unknown>[];
  return {
    links: j(['link', 'show']).map((l) => l.ifname).sort(),
    addrs: j(['addr', 'show']).flatMap((a) => ((a.addr_info as { local: string; prefixlen: number }[]) ?? []).map((x) => `${a.ifname} ${x.local}/${x.prefixlen}`)).sort(),
    routes: [...j(['route', 'show', 'table', 'all']), ...j(['-6', 'route', 'show', 'table', 'all'])].map((r) => JSON.stringify(r)).sort(),
    forwarding: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
  };
}

/** The host's real interfaces (those backed by a device). */
function realNics(): string[] {
  return readdirSync('/sys/class/net').filter((n) => existsSync(`/sys/class/net/${n}/device`));
}
function txPackets(nic: string): number {
  return Number(readFileSync(`/sys/class/net/${nic}/statistics/tx_packets`, 'utf8'));
}

function cli(args: string[], timeoutMs = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

async function startUp(dataDir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [BIN, 'up', '--isolated', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml', '--log-level', 'warn'], {
    stdio: 'ignore',
    env: { ...process.env, STRATUS_DATAPLANE: 'linux' },
  });
  const end = Date.now() + 30_000;
  const prefix = cloudPrefix(dataDir);
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`stratus up exited with ${proc.exitCode}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    // Ready once router1's namespace (built by the reconciler) exists.
    if (healthy && leftovers(dataDir).namespaces.some((n) => n.startsWith(`${prefix}-r-`))) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('stratus up did not build its data plane within 30 s');
}

describe('containment of the real data plane', { skip, timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stx-contain-'));
  const prefix = cloudPrefix(dataDir);
  const procs: ChildProcess[] = [];
  let capture: ChildProcess | undefined;
  after(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (capture && capture.exitCode === null) capture.kill('SIGKILL');
    cli(['down', '--data-dir', dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves the root namespace untouched and sends nothing out of the real NICs, through a crash, a restart and down', async () => {
    const before = rootSnapshot();
    const nics = realNics();
    const tx0 = Object.fromEntries(nics.map((n) => [n, txPackets(n)]));
    const pcap = join(dataDir, 'leak.pcap');
    capture = spawn('tcpdump', ['-n', '-U', '-w', pcap, ...nics.flatMap((n) => ['-i', n]).slice(0, 2), FILTER], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));

    const port = await freePort();
    const first = await startUp(dataDir, port);
    procs.push(first);
    const routerNs = leftovers(dataDir).namespaces.find((n) => n.startsWith(`${prefix}-r-`))!;
    let gw: string | undefined;
    for (let i = 0; i < 100 && !gw; i++) {
      gw = spawnSync('ip', ['-n', routerNs, '-4', '-br', 'addr'], { encoding: 'utf8' }).stdout.match(/qg-\S+\s+\S+\s+([\d.]+)\//)?.[1];
      if (!gw) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(gw, 'router1 has a gateway address');
    // From the underlay: the router's gateway answers (netns exec passes the exit code through).
    assert.equal(cli(['netns', 'exec', '--data-dir', dataDir, '--', 'ping', '-c1', '-W2', gw]).status, 0);
    assert.equal(cli(['netns', 'exec', '--data-dir', dataDir, '--', 'sh', '-c', 'exit 3']).status, 3);
    // Try to leave: from the router, towards the internet and a private range; both must die in the underlay.
    for (const dst of ['8.8.8.8', '192.168.1.1', '10.255.255.1']) {
      const r = spawnSync('nsenter', [`--net=/run/netns/${routerNs}`, '--', 'ping', '-c2', '-i0.2', '-W1', dst], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${dst} must be unreachable from inside the data plane`);
    }

    // kill -9: the namespaces stay (the helpers die with the process); the next up adopts them.
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const crashed = leftovers(dataDir);
    assert.ok(crashed.namespaces.includes(prefix) && crashed.namespaces.includes(routerNs), 'namespaces survive a crash');
    await new Promise((r) => setTimeout(r, 200));
    // The metadata proxies die with their parent (pdeathsig); dnsmasq drops root, which clears
    // pdeathsig, so it may outlive the crash: the next up stops it by its recorded PID.
    const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const survivors = leftovers(dataDir).processes;
    assert.deepEqual(survivors.filter((p) => comm(p) !== 'dnsmasq'), [], 'only dnsmasq may outlive a crash');
    const second = await startUp(dataDir, port);
    procs.push(second);
    for (const pid of survivors) assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), `dnsmasq ${pid} of the crashed run was stopped`);
    assert.ok(leftovers(dataDir).namespaces.includes(routerNs), 'the restarted cloud adopted router1 instead of rebuilding it');
    assert.equal(cli(['netns', 'exec', '--data-dir', dataDir, '--', 'ping', '-c1', '-W2', gw]).status, 0);
    assert.ok(leftovers(dataDir).processes.length >= 2, 'DHCP and metadata run again');

    // down: stops the up by its PID and removes everything.
    const d = cli(['down', '--data-dir', dataDir]);
    assert.equal(d.status, 0, d.stdout + d.stderr);
    assert.ok(second.exitCode !== null || second.signalCode !== null || (await new Promise((r) => second.once('exit', r))) !== undefined);
    const left = leftovers(dataDir);
    assert.deepEqual({ namespaces: left.namespaces, processes: left.processes, links: left.rootLinks, inventory: left.inventory }, { namespaces: [], processes: [], links: [], inventory: [] });
    assert.equal(cli(['down', '--data-dir', dataDir]).status, 0, 'down is idempotent');

    await new Promise((r) => setTimeout(r, 300));
    capture.kill('SIGINT');
    await new Promise((r) => capture!.once('exit', r));
    const leaked = spawnSync('tcpdump', ['-n', '-r', pcap], { encoding: 'utf8' }).stdout.trim();
    assert.equal(leaked, '', `packets from the data plane's ranges on ${nics.join(', ')}:\n${leaked}`);
    const after = rootSnapshot();
    assert.deepEqual(after, before, 'the root namespace has no new links, addresses, routes or forwarding');
    const tx = nics.map((n) => `${n} +${txPackets(n) - tx0[n]!} packets`).join(', ');
    console.log(`# real NICs during the run (all traffic, including unrelated host noise): ${tx}; none from the data plane's ranges`);
  });
});

if (skip) test('containment of the real data plane', { skip }, () => {});
