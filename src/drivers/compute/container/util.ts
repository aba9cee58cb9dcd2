import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmdirSync } from 'node:fs';
import { ComputeDriverError } from '../driver.js';
import { pidAlive, startTime } from './host.js';

// Small host and file helpers of the container compute driver (procfs, cgroup files, console tails).

export function shimAlive(s: { pid: number; startTime: string }): boolean {
  return pidAlive(s.pid) && startTime(s.pid) === s.startTime && !isZombie(s.pid);
}

export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

export function rmdirQuiet(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // absent or still in use
  }
}

export function sizeOf(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** The last `max` bytes of a file, from a line start; '' when absent. */
export function tail(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/** A process's cgroup paths (from `/proc/<pid>/cgroup`): per v1 controller, and the v2 unified one. */
export interface CgroupPaths {
  cpuacct?: string;
  blkio?: string;
  memory?: string;
  unified?: string;
}

export function cgroupPaths(pid: number): CgroupPaths {
  const out: CgroupPaths = {};
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    // gone
  }
  for (const line of text.split('\n')) {
    const [hier, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    const list = ctrls?.split(',') ?? [];
    if (list.includes('cpuacct')) out.cpuacct ??= path;
    if (list.includes('blkio')) out.blkio = path;
    if (list.includes('memory')) out.memory = path;
    if (hier === '0' && ctrls === '') out.unified = path;
  }
  return out;
}

/** CPU time of the container's cgroup (cpuacct v1, or cpu.stat on v2), nanoseconds; pass `cg` when already read. */
export function cpuTime(pid: number, cg: CgroupPaths = cgroupPaths(pid)): number {
  try {
    if (cg.cpuacct !== undefined) return Number(readFileSync(`/sys/fs/cgroup/cpuacct${cg.cpuacct}/cpuacct.usage`, 'utf8').trim());
    if (cg.unified !== undefined && existsSync(`/sys/fs/cgroup${cg.unified}/cpu.stat`)) {
      const m = /usage_usec (\d+)/.exec(readFileSync(`/sys/fs/cgroup${cg.unified}/cpu.stat`, 'utf8'));
      if (m) return Number(m[1]) * 1000;
    }
  } catch {
    // gone
  }
  return 0;
}

export function asDriverError(e: unknown): ComputeDriverError {
  if (e instanceof ComputeDriverError) return e;
  const err = e as Error & { retryable?: boolean };
  return new ComputeDriverError('failed', err.message ?? String(e), err.retryable === true);
}
