import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, rmdirSync } from 'node:fs';
import { type Runner } from './exec.js';
import { Inventory, sameProcess, type InventoryEntry } from './inventory.js';
import { cloudPrefix, ownsNamespace } from './names.js';

/** Namespaces of `prefix` present under /run/netns. */
export function listNamespaces(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => ownsNamespace(prefix, n));
  } catch {
    return [];
  }
}

/** PIDs of every process whose network namespace is one of `namespaces`. */
export function processesIn(namespaces: string[]): number[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      // already gone
    }
  }
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${d}/ns/net`))) out.push(Number(d));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}

/** What a cloud still holds on the host (for `down` reports and containment tests). */
export interface Leftovers {
  namespaces: string[];
  processes: number[];
  rootLinks: string[];
  inventory: InventoryEntry[];
}

export function leftovers(dataDir: string): Leftovers {
  const prefix = cloudPrefix(dataDir);
  const namespaces = listNamespaces(prefix);
  let rootLinks: string[] = [];
  try {
    rootLinks = readdirSync('/sys/class/net').filter((l) => ownsNamespace(prefix, l));
  } catch {
    // no sysfs
  }
  return { namespaces, processes: processesIn(namespaces), rootLinks, inventory: new Inventory(dataDir).list() };
}

async function killAll(pids: number[], graceMs: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const end = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const hardEnd = Date.now() + 2_000;
  while (pids.some(alive) && Date.now() < hardEnd) await new Promise((r) => setTimeout(r, 20));
}

export interface CleanupReport {
  processes: number;
  namespaces: number;
  links: number;
  mounts: number;
  loops: number;
  other: number;
  errors: string[];
}

/**
 * Removes everything the data plane of `dataDir`'s cloud holds on the host: the processes
 * recorded in the inventory or running in one of its namespaces, mounts, loop devices, nft
 * tables and links in the root namespace, then every namespace with the cloud's prefix
 * (instances and routers before the underlay), runtime directories and cgroups. Idempotent;
 * an error on one item does not stop the others (they are listed in the report).
 */
export async function cleanupDataPlane(dataDir: string, runner: Runner, graceMs = 2_000): Promise<CleanupReport> {
  const prefix = cloudPrefix(dataDir);
  const inv = new Inventory(dataDir);
  const entries = inv.list();
  const report: CleanupReport = { processes: 0, namespaces: 0, links: 0, mounts: 0, loops: 0, other: 0, errors: [] };
  const of = (k: InventoryEntry['kind']) => entries.filter((e) => e.kind === k);
  const attempt = async (what: string, argv: string[]) => {
    const r = await runner.run({ argv, mayFail: true });
    if (r.code !== 0 && !/No such|Cannot find|not found|does not exist|not mounted|no mount point|No such device/i.test(r.stderr)) report.errors.push(`${what}: ${r.stderr.trim()}`);
    return r.code === 0;
  };

  const namespaces = [...new Set([...listNamespaces(prefix), ...of('netns').map((e) => e.key).filter((n) => ownsNamespace(prefix, n))])];
  const pids = [...new Set([...of('pid').filter(sameProcess).map((e) => Number(e.key)), ...processesIn(namespaces)])];
  await killAll(pids, graceMs);
  report.processes = pids.length;

  for (const e of of('mount').sort((a, b) => b.key.length - a.key.length)) if (await attempt(`umount ${e.key}`, ['umount', '-l', e.key])) report.mounts++;
  for (const e of of('loop')) if (await attempt(`losetup -d ${e.key}`, ['losetup', '-d', e.key])) report.loops++;
  for (const e of of('nft')) {
    const [family, table] = e.key.split(' ');
    const argv = e.ns ? ['nsenter', `--net=/run/netns/${e.ns}`, '--', 'nft', 'delete', 'table', family!, table!] : ['nft', 'delete', 'table', family!, table!];
    if (await attempt(`nft table ${e.key}`, argv)) report.other++;
  }
  for (const e of of('link')) if (!e.ns && (await attempt(`link ${e.key}`, ['ip', 'link', 'del', e.key]))) report.links++;
  for (const e of of('route')) if (!e.ns && (await attempt(`route ${e.key}`, ['ip', 'route', 'del', ...e.key.split(' ')]))) report.other++;
  // Namespaces below the underlay first, the underlay last.
  for (const ns of namespaces.sort((a, b) => (a === prefix ? 1 : b === prefix ? -1 : a.localeCompare(b)))) {
    if (await attempt(`netns ${ns}`, ['ip', 'netns', 'del', ns])) report.namespaces++;
  }
  for (const e of of('dir')) {
    try {
      rmSync(e.key, { recursive: true, force: true });
      report.other++;
    } catch (err) {
      report.errors.push(`dir ${e.key}: ${(err as Error).message}`);
    }
  }
  try {
    rmdirSync('/run/stratus'); // only when no other cloud uses it (rmdir refuses a non-empty directory)
  } catch {
    // absent, or another cloud's files are there
  }
  for (const e of of('cgroup')) {
    try {
      rmdirSync(e.key);
      report.other++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report.errors.push(`cgroup ${e.key}: ${(err as Error).message}`);
    }
  }
  // Forget what is gone; keep (and report) what is still there, so a later `down` retries it.
  const mounts = (() => {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const present = (e: InventoryEntry): boolean => {
    switch (e.kind) {
      case 'netns':
        return existsSync(`/run/netns/${e.key}`);
      case 'pid':
        return sameProcess(e);
      case 'mount':
        return mounts.includes(` ${e.key} `);
      case 'link':
        return !e.ns && existsSync(`/sys/class/net/${e.key}`);
      case 'dir':
      case 'cgroup':
        return existsSync(e.key);
      default:
        return false;
    }
  };
  for (const e of entries) {
    if (present(e)) report.errors.push(`${e.kind} ${e.key} is still present`);
    else inv.forget(e.kind, e.key);
  }
  return report;
}
