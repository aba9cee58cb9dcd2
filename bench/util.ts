import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';

export { sleep };

/** Everything the bench started, so it can be torn down on any exit path (by PID, never by name). */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const hooks = new Set<() => void>();

/** A synchronous teardown step run by cleanupSync (e.g. stopping Keystone by its PID file). */
export function onCleanup(fn: () => void): () => void {
  hooks.add(fn);
  return () => void hooks.delete(fn);
}

export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** Synchronous last-resort cleanup: SIGKILL every child still alive, remove every temp dir. */
export function cleanupSync(): void {
  for (const h of hooks) {
    try {
      h();
    } catch {
      /* best effort */
    }
  }
  hooks.clear();
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

export function installCleanupHandlers(): void {
  process.once('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, killing children and removing temp dirs\n`);
      cleanupSync();
      process.exit(130);
    });
  }
}

/** Stop a child by PID: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A free TCP port on 127.0.0.1 below the ephemeral range (so no client socket can hold it),
 * found by binding a probe server. The child may still lose a race for it; callers retry.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 20000-31999 on 127.0.0.1');
}

// ---------------------------------------------------------------- statistics

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (as the anchors' loadgen.py computes it) of an ascending array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- /proc

/** Resident set size in MiB of `pid` plus all its descendants (as anchors/mem.sh sums them). */
export function rssMiB(pid: number): { mib: number; processes: number } {
  const parents = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(e));
      parents.set(ppid, list);
    } catch {
      /* raced with an exit */
    }
  }
  let kib = 0;
  let n = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) {
        kib += Number(m[1]);
        n++;
      }
    } catch {
      continue;
    }
    todo.push(...(parents.get(p) ?? []));
  }
  return { mib: kib / 1024, processes: n };
}

/** CPU seconds (user + system) consumed so far by `pid`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 (utime, stime) are at 11 and 12 after the state field; clock ticks (100/s)
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Jiffies of all CPUs since boot: total and idle (idle + iowait). */
export function cpuTicks(): { total: number; idle: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + f[4]! };
}

/** CPU-cores busy between two cpuTicks() snapshots (e.g. 1.4 of 2). */
export function coresBusy(a: { total: number; idle: number }, b: { total: number; idle: number }): number {
  const total = b.total - a.total;
  return total > 0 ? ((total - (b.idle - a.idle)) / total) * availableParallelism() : NaN;
}

/** CPU seconds of this process plus its exited (reaped) children. */
function ownSeconds(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/**
 * Noisy-neighbour meter: how much CPU processes other than the bench and its (exited) children
 * used between start and the call of the returned function, in cores. Call it after every child
 * has been stopped.
 */
export function noiseMeter(): () => number {
  try {
    const t0 = cpuTicks();
    const own0 = ownSeconds();
    const w0 = performance.now();
    return () => {
      const busy = coresBusy(t0, cpuTicks());
      return busy - (ownSeconds() - own0) / ((performance.now() - w0) / 1000);
    };
  } catch {
    return () => NaN;
  }
}

export function machineLine(): string {
  let cpu = '?';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  } catch {
    /* not Linux */
  }
  let load = '?';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    /* not Linux */
  }
  return `node ${process.version}, ${cpu}, loadavg ${load}`;
}

// ---------------------------------------------------------------- network namespaces (root)

export const isRoot = (): boolean => process.getuid?.() === 0;

/** argv run inside namespace `ns`'s network (nsenter, never `ip netns exec`), killed if the bench dies. */
export function inNs(ns: string, argv: string[]): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', 'nsenter', `--net=/run/netns/${ns}`, '--', ...argv];
}

/** Runs argv; resolves with exit code and output, never rejects. */
export function runCmd(argv: string[], timeoutMs = 30_000, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : '') });
    });
    if (input !== undefined) c.stdin?.end(input);
  });
}

/** runCmd that throws with the command's stderr on a non-zero exit. */
export async function mustRun(argv: string[], timeoutMs = 30_000, input?: string): Promise<string> {
  const r = await runCmd(argv, timeoutMs, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim().slice(0, 400)}`);
  return r.stdout;
}

/** TCP sink: counts bytes of one connection, answers the count, exits. Prints `up` once listening. */
const SINK = (port: number) =>
  `const s=require('net').createServer(c=>{let n=0;c.on('data',d=>n+=d.length);c.on('end',()=>{c.end(String(n));s.close()})}).listen(${port},()=>console.log('up'));`;
/** TCP source: writes `mb` MiB from one reused 64 KiB buffer, then reads the sink's count; prints JSON. */
const SOURCE = (ip: string, port: number, mb: number) =>
  `const c=require('net').connect(${port},'${ip}');const b=Buffer.alloc(1<<16);let left=${mb}*16;let t0;const w=()=>{while(left>0){left--;if(!c.write(b))return c.once('drain',w)}c.end()};` +
  `c.on('connect',()=>{t0=process.hrtime.bigint();w()});let r='';c.on('data',d=>r+=d);c.on('error',e=>{console.log(JSON.stringify({error:e.message}));process.exit(1)});` +
  `c.on('close',()=>{const s=Number(process.hrtime.bigint()-t0)/1e9;console.log(JSON.stringify({bytes:Number(r),s}))})`;

/**
 * One TCP transfer of `mb` MiB from namespace `clientNs` to a sink in `serverNs` listening on
 * `ip:port` (plain Node on both ends, so the figure is the network path's, not a tool's).
 * Timed from the established connection to the sink's byte count; Mbit/s (10^6).
 */
export async function tcpThroughput(serverNs: string, clientNs: string, ip: string, mb: number, port = 5201): Promise<number> {
  const s = inNs(serverNs, [process.execPath, '-e', SINK(port)]);
  const srv = spawn(s[0]!, s.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(srv);
  let err = '';
  srv.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      srv.stdout.once('data', () => resolve());
      srv.once('exit', (code) => reject(new Error(`sink in ${serverNs} exited ${code}: ${err.trim()}`)));
    });
    const out = await mustRun(inNs(clientNs, [process.execPath, '-e', SOURCE(ip, port, mb)]), 120_000);
    const r = JSON.parse(out.trim()) as { bytes?: number; s?: number; error?: string };
    if (r.error || r.bytes !== mb * 1048576) throw new Error(`transfer to ${ip}:${port} failed: ${r.error ?? `${r.bytes} of ${mb * 1048576} bytes arrived`}`);
    return (r.bytes * 8) / r.s! / 1e6;
  } finally {
    if (srv.exitCode === null && srv.signalCode === null) srv.kill('SIGKILL');
  }
}

/**
 * Two namespaces `<a>` and `<b>` joined by a bare veth pair (192.168.250.1/.2 on eth0, MTU
 * `mtu`): the raw veth baseline for throughput figures. Name them below a cloud prefix (kind
 * `t`) so `stratus down` would also remove them. Returns a remover (also run on any exit).
 */
export async function vethPair(a: string, b: string, mtu = 1500): Promise<{ ipA: string; remove(): void }> {
  const remove = () => {
    for (const ns of [a, b]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* not there */
      }
    }
  };
  const off = onCleanup(remove);
  try {
    await mustRun(['ip', 'netns', 'add', a]);
    await mustRun(['ip', 'netns', 'add', b]);
    await mustRun(['ip', '-n', a, 'link', 'add', 'eth0', 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu), 'netns', b]);
    await mustRun(['ip', '-n', a, '-batch', '-'], 10_000, 'link set lo up\nlink set eth0 up\naddr add 192.168.250.1/24 dev eth0\n');
    await mustRun(['ip', '-n', b, '-batch', '-'], 10_000, 'link set lo up\nlink set eth0 up\naddr add 192.168.250.2/24 dev eth0\n');
  } catch (e) {
    remove();
    off();
    throw e;
  }
  return {
    ipA: '192.168.250.1',
    remove: () => {
      remove();
      off();
    },
  };
}

/** VmRSS of one process (not its children), MiB; NaN when it is gone. */
export function ownRssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
