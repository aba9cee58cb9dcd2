import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';

export { sleep };

/** Everything the bench started, so it can be torn down on any exit path (by PID, never by name). */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const hooks = new Set<() => void>();

/** A synchronous teardown step run by cleanupSync (e.g. stopping Keystone by its PID file). */
export function onCleanup(fn: () => void): void {
  hooks.add(fn);
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
