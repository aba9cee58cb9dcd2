import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { V1_CONTROLLERS } from './runtime.js';

/** The v1 hierarchies (and the named systemd one) a runtime creates a container's cgroup in. */
export const V1_HIERARCHIES = [...V1_CONTROLLERS, 'systemd'];
const ROOT = '/sys/fs/cgroup';

/** Limits written to a cgroup (v1 files); absent fields are left as inherited. */
export interface CgroupLimits {
  /** Bytes (`memory.limit_in_bytes`). */
  memory?: number;
  /** CFS quota in µs per `cpuPeriod` (`cpu.cfs_quota_us`). */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** `cpu.shares` (2 to 262144). */
  cpuShares?: number;
  /** `pids.max`. */
  pids?: number;
}

/**
 * Creates `path` (absolute inside each hierarchy, e.g. `/stk-1/pod<uid>/<id>`) in the memory,
 * cpu and pids hierarchies and writes `limits` there. Only those three: a runtime creating a
 * child below initialises cpuset itself, and an empty cpuset directory made here would make
 * that fail. Works on cgroup v1 (and the v1 side of a hybrid host); on pure v2 it does nothing
 * and returns false (the runtime then applies the limits itself).
 */
export function ensureV1Cgroup(path: string, limits: CgroupLimits): boolean {
  if (!existsSync(join(ROOT, 'memory'))) return false;
  const dir = (c: string) => join(ROOT, c, path);
  for (const c of ['memory', 'cpu', 'pids']) if (existsSync(join(ROOT, c))) mkdirSync(dir(c), { recursive: true });
  const put = (c: string, file: string, v: number | undefined) => {
    if (v !== undefined && existsSync(join(dir(c), file))) writeFileSync(join(dir(c), file), String(Math.round(v)));
  };
  put('memory', 'memory.limit_in_bytes', limits.memory);
  put('cpu', 'cpu.cfs_period_us', limits.cpuQuota !== undefined ? (limits.cpuPeriod ?? 100_000) : undefined);
  put('cpu', 'cpu.cfs_quota_us', limits.cpuQuota);
  put('cpu', 'cpu.shares', limits.cpuShares);
  if (limits.pids !== undefined && existsSync(join(dir('pids'), 'pids.max'))) writeFileSync(join(dir('pids'), 'pids.max'), String(limits.pids));
  return true;
}

/** A number read from a v1 cgroup file (`memory.failcnt`…), or undefined when absent. */
export function readV1Counter(controller: string, path: string, file: string): number | undefined {
  try {
    const n = Number(readFileSync(join(ROOT, controller, path, file), 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes `path` and every cgroup below it in all v1 hierarchies, deepest first. Returns the
 * directories that could not be removed (a process still inside: EBUSY).
 */
export function removeV1Cgroup(path: string): string[] {
  const left: string[] = [];
  const rm = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return; // absent
    }
    for (const e of entries) rm(join(dir, e));
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  };
  for (const c of V1_HIERARCHIES) rm(join(ROOT, c, path));
  return left;
}
