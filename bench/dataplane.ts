/**
 * The real data plane (issue #6), against a `stratus up --isolated` child run as root with
 * `STRATUS_DATAPLANE=linux` on a temp data dir, driven through the compute and network APIs with
 * the admin token:
 * - latency to ACTIVE and to SSH-ready (dropbear's banner on port 22), one boot at a time, p50/p99;
 * - density: N instances booted 5 at a time; time until all ACTIVE and all SSH-ready, the
 *   control plane's RSS and the instances' memory (their memory cgroup, and the RSS of their
 *   processes);
 * - TCP throughput from the underlay through a floating IP to an instance's network namespace,
 *   beside a raw veth pair in the same run.
 *
 * Each instance gets a port of its own and a floating IP bound to that port before
 * `POST /servers`, so SSH-ready is probed at the floating IP from inside the underlay (which
 * holds the external network's gateway address; tenant addresses are not routed there) and
 * the association is not part of the timed boot. The probes run in one long-lived helper
 * process entered into the underlay once, so no probe pays a process spawn.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cloudPrefix, nsName } from '../src/dataplane/names.js';
import { fetchOnce } from './load.js';
import { Api, projectId } from './objects.js';
import { fmt, out, printFigure, section, type Figure } from './report.js';
import { ISSUE, ROOT } from './stratus.js';
import { freePort, inNs, isRoot, median, onCleanup, ownRssMiB, percentileSorted, removeDir, rssMiB, sleep, stopChild, tcpThroughput, tempDir, track, vethPair } from './util.js';

const BIN = join(ROOT, 'bin', 'stratus.js');
const NOVA = '/compute/v2.1';
const NET = '/networking/v2.0';
/** Density boots in flight at once. */
const INFLIGHT = 5;

/**
 * The probe helper (runs inside the underlay): per JSON line {id, host, port, timeoutMs} on
 * stdin, it opens a TCP connection every 25 ms (up to 8 in flight, 1 s each) until one reads a
 * line starting with `SSH-`, then prints {id, ok, banner} (or {id, ok: false, err} at the deadline).
 */
const PROBE = `
const net = require('net');
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const q = JSON.parse(l); const end = Date.now() + q.timeoutMs; let done = false, inflight = 0, last = '';
  const finish = (r) => { if (!done) { done = true; clearInterval(timer); process.stdout.write(JSON.stringify({ id: q.id, ...r }) + '\\n'); } };
  const attempt = () => {
    if (done) return;
    if (Date.now() > end) return finish({ ok: false, err: last || 'timeout' });
    if (inflight >= 8) return;
    inflight++;
    const s = net.connect({ host: q.host, port: q.port }); let buf = '';
    const t = setTimeout(() => s.destroy(new Error('attempt timeout')), 1000);
    s.on('data', (d) => { buf += d; if (buf.includes('\\n') || buf.length > 200) { if (buf.startsWith('SSH-')) finish({ ok: true, banner: buf.split('\\r')[0].split('\\n')[0] }); s.destroy(); } });
    s.on('error', (e) => { last = e.code || e.message; });
    s.on('close', () => { clearTimeout(t); inflight--; });
  };
  const timer = setInterval(attempt, 25); attempt();
});
`;

class Prober {
  private readonly waiting = new Map<string, (r: { ok: boolean; err?: string; banner?: string; at: number }) => void>();
  private next = 0;
  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const at = performance.now();
      const r = JSON.parse(l) as { id: string; ok: boolean; err?: string; banner?: string };
      this.waiting.get(r.id)?.({ ...r, at });
      this.waiting.delete(r.id);
    });
  }
  static start(underlay: string): Prober {
    const argv = inNs(underlay, [process.execPath, '-e', PROBE]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    track(child);
    return new Prober(child);
  }
  /** Resolves at the time (performance.now()) the banner was seen; rejects at the deadline. */
  banner(host: string, timeoutMs = 60_000): Promise<number> {
    const id = String(this.next++);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r.ok ? resolve(r.at) : reject(new Error(`no SSH banner from ${host}:22 within ${timeoutMs / 1000} s (last: ${r.err})`))));
      this.child.stdin!.write(JSON.stringify({ id, host, port: 22, timeoutMs }) + '\n');
    });
  }
  stop(): void {
    this.child.stdin!.end();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

interface Cloud {
  child: ChildProcess;
  port: number;
  api: Api;
  dataDir: string;
  prefix: string;
  startMs: number;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startCloud(dataDir: string, logFile: string): Promise<Cloud> {
  const port = await freePort();
  const fd = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, STRATUS_DATAPLANE: 'linux' };
  delete env.STRATUS_ADMIN_PASSWORD;
  delete env.STRATUS_DATA_DIR;
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'up', '--isolated', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  let last = 'no answer';
  while (performance.now() - t0 < 300_000) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`stratus up exited (code ${child.exitCode}); ${logFile}:\n${logTail(logFile)}`);
    try {
      const r = await fetchOnce(port, ISSUE, 10_000);
      if (r.status === 201) {
        const api = new Api(port, String(r.headers['x-subject-token']));
        return { child, port, api, dataDir, prefix: cloudPrefix(dataDir), startMs: performance.now() - t0 };
      }
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(20);
  }
  await stopChild(child, 180_000);
  throw new Error(`no token from stratus up within 300 s (last: ${last}); ${logFile}:\n${logTail(logFile)}`);
}

/** `stratus down --data-dir`, synchronously (also the last-resort hook on Ctrl-C). */
function downSync(dataDir: string, kube = false): string {
  try {
    return execFileSync(process.execPath, [BIN, ...(kube ? ['kube'] : []), 'down', '--data-dir', dataDir], { timeout: 180_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `down failed: ${(e as Error).message}`;
  }
}
export { downSync };

interface Setup {
  image: string;
  flavor: string;
  net: string;
  pub: string;
  sg: string;
}

async function setup(api: Api): Promise<Setup> {
  const project = await projectId(api);
  await api.must('PUT', `${NOVA}/os-quota-sets/${project}`, { quota_set: { instances: 200, cores: 400, ram: 1_000_000 } }, [200]);
  await api.must('PUT', `${NET}/quotas/${project}`, { quota: { port: -1, floatingip: -1, security_group_rule: -1 } }, [200]);
  const deadline = performance.now() + 120_000;
  let image: string | undefined;
  while (!image) {
    const imgs = (await api.must('GET', '/image/v2/images?name=cirros')).json.images as { id: string; status: string }[];
    image = imgs.find((i) => i.status === 'active')?.id;
    if (!image && performance.now() > deadline) throw new Error('no active `cirros` image after 120 s (stratus up registers it when instances are real)');
    if (!image) await sleep(200);
  }
  const pub = ((await api.must('GET', `${NET}/networks?name=public`)).json.networks as { id: string }[])[0]?.id;
  if (!pub) throw new Error('no `public` network');
  const sg = (await api.must('POST', `${NET}/security-groups`, { security_group: { name: 'bench-open' } })).json.security_group.id as string;
  for (const protocol of ['tcp', 'icmp']) {
    await api.must('POST', `${NET}/security-group-rules`, { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol, remote_ip_prefix: '0.0.0.0/0' } });
  }
  const net = (await api.must('POST', `${NET}/networks`, { network: { name: 'bench-dp' } })).json.network.id as string;
  const subnet = (await api.must('POST', `${NET}/subnets`, { subnet: { name: 'bench-dp', network_id: net, ip_version: 4, cidr: '10.77.0.0/24' } })).json.subnet.id as string;
  const router = (await api.must('POST', `${NET}/routers`, { router: { name: 'bench-dp', external_gateway_info: { network_id: pub } } })).json.router.id as string;
  await api.must('PUT', `${NET}/routers/${router}/add_router_interface`, { subnet_id: subnet }, [200]);
  return { image, flavor: 'c1', net, pub, sg };
}

interface Slot {
  port: string;
  fipId: string;
  fip: string;
}

/** A port of our own on the bench network and a floating IP bound to it (before the server exists). */
async function slot(api: Api, s: Setup, name: string): Promise<Slot> {
  const port = (await api.must('POST', `${NET}/ports`, { port: { name, network_id: s.net, security_groups: [s.sg] } })).json.port.id as string;
  const f = (await api.must('POST', `${NET}/floatingips`, { floatingip: { floating_network_id: s.pub, port_id: port } })).json.floatingip;
  return { port, fipId: String(f.id), fip: String(f.floating_ip_address) };
}

interface Boot {
  id: string;
  activeMs: number;
  sshMs: number;
}

/** POST /servers on a prepared slot; ACTIVE by polling GET every ~5 ms, SSH by the prober, both from the POST. */
async function boot(api: Api, prober: Prober, s: Setup, sl: Slot, name: string): Promise<Boot> {
  const t0 = performance.now();
  const ssh = prober.banner(sl.fip, 90_000);
  ssh.catch(() => {});
  const r = await api.must('POST', `${NOVA}/servers`, { server: { name, imageRef: s.image, flavorRef: s.flavor, networks: [{ port: sl.port }] } }, [202]);
  const id = String(r.json.server.id);
  let activeMs = NaN;
  for (;;) {
    const g = await api.must('GET', `${NOVA}/servers/${id}`, undefined, [200]);
    const st = String(g.json.server.status);
    if (st === 'ACTIVE') {
      activeMs = performance.now() - t0;
      break;
    }
    if (st === 'ERROR') throw new Error(`server ${name} went to ERROR: ${JSON.stringify(g.json.server.fault ?? {})}`);
    if (performance.now() - t0 > 90_000) throw new Error(`server ${name} not ACTIVE after 90 s (status ${st})`);
    await sleep(5);
  }
  const sshAt = await ssh;
  return { id, activeMs, sshMs: sshAt - t0 };
}

async function deleteServer(api: Api, id: string): Promise<void> {
  await api.must('DELETE', `${NOVA}/servers/${id}`, undefined, [204, 404]);
  const t0 = performance.now();
  while ((await api.call('GET', `${NOVA}/servers/${id}`)).status !== 404) {
    if (performance.now() - t0 > 60_000) throw new Error(`server ${id} still there 60 s after DELETE`);
    await sleep(20);
  }
}

async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const res: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        res[i] = await fn(i);
      }
    }),
  );
  return res;
}

/** The instances' memory: their memory cgroup (v1, below `/<prefix>`), and the RSS of the processes in it. */
function instanceMemory(prefix: string): { cgroupMiB: number; rssMiB: number; cgroupRssMiB: number; processes: number } {
  const base = `/sys/fs/cgroup/memory/${prefix}`;
  const num = (f: string) => (existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : NaN);
  const cgroupMiB = num(join(base, 'memory.usage_in_bytes')) / 1048576;
  let cgroupRssMiB = NaN;
  try {
    const m = /^total_rss (\d+)/m.exec(readFileSync(join(base, 'memory.stat'), 'utf8'));
    if (m) cgroupRssMiB = Number(m[1]) / 1048576;
  } catch {
    /* no v1 memory controller */
  }
  let kib = 0;
  let processes = 0;
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) {
          kib += Number(m[1]);
          processes++;
        }
      }
    } catch {
      /* raced with an exit */
    }
    for (const e of entries) walk(join(dir, e));
  };
  walk(base);
  return { cgroupMiB, rssMiB: kib / 1024, cgroupRssMiB, processes };
}

export async function dataplaneBench(o: { quick: boolean; root: string }): Promise<Figure[]> {
  const seq = o.quick ? 5 : 20;
  const dense = o.quick ? 10 : 50;
  const mb = o.quick ? 100 : 200;
  if (!isRoot()) {
    out('\n== dataplane skipped: needs root (the real data plane creates network namespaces and containers); run: sudo npm run bench -- --only dataplane');
    return [];
  }
  section(`Real data plane (issue #6): stratus up --isolated as root, cirros on the container driver; ${seq} boots one at a time, ${dense} for density (${INFLIGHT} in flight), ${mb} MiB through a floating IP`);
  const figures: Figure[] = [];
  const dir = tempDir('stratus-bench-dp-');
  const dataDir = join(dir, 'data');
  // On any exit (Ctrl-C included): stratus down removes the whole data plane of the data dir.
  const offDown = onCleanup(() => void downSync(dataDir));
  let cloud: Cloud | undefined;
  let prober: Prober | undefined;
  let veth: { ipA: string; remove(): void } | undefined;
  try {
    cloud = await startCloud(dataDir, join(o.root, 'stratus-dataplane.log'));
    const { api, prefix } = cloud;
    const health = (await api.must('GET', '/health')).json as Record<string, unknown>;
    const h = JSON.stringify(health);
    if (!/container/.test(h) || !/linux/.test(h)) {
      out(`  skipped: stratus up did not pick the linux network and container compute drivers (see /health: ${h.slice(0, 300)})`);
      return [];
    }
    const s = await setup(api);
    out(`  underlay ${prefix}; token after ${fmt(cloud.startMs, 'ms')} (first start: cirros image built or taken from the cache); flavor cirros256, own /24 network, router and open security group`);
    prober = Prober.start(prefix);

    // Latency: one at a time; each server deleted (with its port and floating IP) after it answers.
    const seqBoots: Boot[] = [];
    let keep: { boot: Boot; slot: Slot } | undefined;
    for (let i = 0; i < seq; i++) {
      const sl = await slot(api, s, `seq-${i}`);
      const b = await boot(api, prober, s, sl, `seq-${i}`);
      seqBoots.push(b);
      if (i === seq - 1) {
        keep = { boot: b, slot: sl };
        break;
      }
      await deleteServer(api, b.id);
      await api.must('DELETE', `${NET}/floatingips/${sl.fipId}`, undefined, [204]);
      await api.must('DELETE', `${NET}/ports/${sl.port}`, undefined, [204, 404]);
    }
    const act = seqBoots.map((b) => b.activeMs).sort((a, b) => a - b);
    const ssh = seqBoots.map((b) => b.sshMs).sort((a, b) => a - b);
    figures.push(
      { name: 'instance to ACTIVE p50', value: percentileSorted(act, 50), unit: 'ms', better: 'lower', target: 500, note: `${seq} cirros boots one at a time (POST /servers, GET every ~5 ms); p99 below` },
      { name: 'instance to ACTIVE p99', value: percentileSorted(act, 99), unit: 'ms', better: 'lower', target: 500 },
      { name: 'instance to SSH banner p50', value: percentileSorted(ssh, 50), unit: 'ms', better: 'lower', target: 2000, note: "from POST /servers to dropbear's banner at the floating IP, probed every 25 ms from inside the underlay (guest DHCP, metadata, sshd start)" },
      { name: 'instance to SSH banner p99', value: percentileSorted(ssh, 99), unit: 'ms', better: 'lower', target: 2000, note: `max ${fmt(ssh[ssh.length - 1]!, 'ms')}` },
    );
    for (const f of figures) printFigure(f);

    // Throughput: underlay -> floating IP (router DNAT, bridge, security group) -> the instance's
    // network namespace, beside a bare veth pair between two namespaces of our own.
    const instNs = nsName(prefix, 'i', keep!.boot.id);
    if (!existsSync(`/run/netns/${instNs}`)) throw new Error(`instance namespace ${instNs} not found: the container driver's naming changed?`);
    veth = await vethPair(nsName(prefix, 't', 'bench-va'), nsName(prefix, 't', 'bench-vb'));
    const reps = o.quick ? 1 : 3;
    const viaFip: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < reps; i++) {
      viaFip.push(await tcpThroughput(instNs, prefix, keep!.slot.fip, mb));
      raw.push(await tcpThroughput(nsName(prefix, 't', 'bench-va'), nsName(prefix, 't', 'bench-vb'), veth.ipA, mb));
    }
    veth.remove();
    veth = undefined;
    figures.push({
      name: 'TCP through a floating IP',
      value: median(viaFip),
      unit: 'Mbit/s',
      better: 'higher',
      base: { name: 'raw veth pair', value: median(raw) },
      note: `${mb} MiB, Node sink in the instance's network namespace, source in the underlay; median of ${reps} (${viaFip.map((x) => x.toFixed(0)).join(', ')} vs veth ${raw.map((x) => x.toFixed(0)).join(', ')})`,
    });
    printFigure(figures.at(-1)!);
    await deleteServer(api, keep!.boot.id);

    // Density.
    const cp0 = ownRssMiB(cloud.child.pid!);
    const mem0 = instanceMemory(prefix);
    const slots = await pool(dense, 4, (i) => slot(api, s, `dense-${i}`));
    const t0 = performance.now();
    // A boot that fails (ERROR) is counted and reported, not fatal: the figure says how many.
    const failed: string[] = [];
    const results = await pool(dense, INFLIGHT, (i) =>
      boot(api, prober!, s, slots[i]!, `dense-${i}`).catch((e: Error) => {
        failed.push(e.message.replace(/"details":.*$/, '').slice(0, 240));
        return undefined;
      }),
    );
    const allSsh = performance.now() - t0;
    const boots = results.filter((b): b is Boot => b !== undefined);
    if (!boots.length) throw new Error(`all ${dense} density boots failed; first: ${failed[0]}`);
    const allActive = Math.max(...boots.map((b) => b.activeMs + 0));
    await sleep(3000);
    const cp = ownRssMiB(cloud.child.pid!);
    const tree = rssMiB(cloud.child.pid!);
    const mem = instanceMemory(prefix);
    const dAct = boots.map((b) => b.activeMs).sort((a, b) => a - b);
    const dSsh = boots.map((b) => b.sshMs).sort((a, b) => a - b);
    const dens: Figure[] = [
      { name: `${dense} boots (${INFLIGHT} at once) to SSH${failed.length ? ` (${boots.length} ok)` : ""}`, value: allSsh, unit: 'ms', better: 'lower', note: `${failed.length ? `${failed.length} of ${dense} went to ERROR (first: ${failed[0]}); ` : ''}${INFLIGHT} POSTs in flight; per instance to ACTIVE p50 ${fmt(percentileSorted(dAct, 50), 'ms')} p99 ${fmt(percentileSorted(dAct, 99), 'ms')}, to SSH p50 ${fmt(percentileSorted(dSsh, 50), 'ms')} p99 ${fmt(percentileSorted(dSsh, 99), 'ms')}; slowest ACTIVE ${fmt(allActive, 'ms')} after its POST` },
      { name: `control plane RSS, ${dense} instances`, value: cp, unit: 'MiB', better: 'lower', note: `the stratus Node process alone (${fmt(cp0, 'MiB')} before the density run); its whole process tree ${fmt(tree.mib, 'MiB')} in ${tree.processes} processes (dnsmasq, metadata proxies, runtime shims and the guests' processes)` },
      { name: `instances' memory, ${dense} instances`, value: mem.cgroupMiB - (Number.isFinite(mem0.cgroupMiB) ? mem0.cgroupMiB : 0), unit: 'MiB', better: 'lower', note: `memory cgroup /${prefix} (v1 usage, page cache included; rss ${fmt(mem.cgroupRssMiB, 'MiB')}); per idle instance ${fmt(mem.cgroupMiB / dense, 'MiB')}; RSS of the ${mem.processes} processes in it ${fmt(mem.rssMiB, 'MiB')} (${fmt(mem.rssMiB / dense, 'MiB')} each, shared pages counted per process)` },
    ];
    for (const f of dens) printFigure(f);
    if (failed.length) out(`      ! ${failed.length} density boot(s) failed: ${[...new Set(failed)].slice(0, 3).join(' | ')}`);
    figures.push(...dens);
  } finally {
    veth?.remove();
    prober?.stop();
    if (cloud) {
      cloud.api.close();
      await stopChild(cloud.child, 180_000);
    }
    const msg = downSync(dataDir);
    offDown();
    const left = readdirSync('/run/netns').filter((n) => n.startsWith(cloudPrefix(dataDir)));
    out(`  cleanup: ${msg.split('\n').pop()}${left.length ? `; LEFT: ${left.join(', ')}` : '; no namespace of the cloud is left'}`);
    removeDir(dir);
  }
  return figures;
}
