import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the data plane creates on the host, by kind, so `down` and the next `up` can clean it. */
export type InventoryKind = 'netns' | 'link' | 'route' | 'nft' | 'pid' | 'mount' | 'loop' | 'dir' | 'cgroup';

export interface InventoryEntry {
  kind: InventoryKind;
  /** Unique within its kind: the namespace or link name, the mount path, the pid… */
  key: string;
  /** For pids: the process start time (field 22 of /proc/<pid>/stat), so a reused pid is never killed. */
  startTime?: string;
  /** For routes and links: the namespace (absent = the root namespace); for nft: `family table`. */
  ns?: string;
  /** Free text shown by `down` (what the entry is for). */
  note?: string;
  /** Who recorded it (driver name), for reports. */
  owner?: string;
}

/**
 * The inventory of one cloud's host resources: one small JSON file per entry under
 * `<dataDir>/dataplane/inventory/`, written with rename so a crash never leaves half an entry.
 * Several drivers (network, compute) record into the same directory without coordination.
 */
export class Inventory {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dataplane', 'inventory');
  }

  private file(kind: InventoryKind, key: string): string {
    return join(this.dir, `${kind}-${createHash('sha1').update(key).digest('hex').slice(0, 20)}.json`);
  }

  record(e: InventoryEntry): void {
    mkdirSync(this.dir, { recursive: true });
    const f = this.file(e.kind, e.key);
    writeFileSync(`${f}.tmp`, JSON.stringify(e) + '\n');
    renameSync(`${f}.tmp`, f);
  }

  forget(kind: InventoryKind, key: string): void {
    rmSync(this.file(kind, key), { force: true });
  }

  list(kind?: InventoryKind): InventoryEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: InventoryEntry[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || (kind && !n.startsWith(`${kind}-`))) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as InventoryEntry);
      } catch {
        // a torn or foreign file: ignore it (writes go through rename, so this is not ours)
      }
    }
    return out;
  }
}

/** The start time of `pid` from /proc (clock ticks since boot), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs (same pid and same start time). */
export function sameProcess(e: InventoryEntry): boolean {
  const pid = Number(e.key);
  return Number.isInteger(pid) && pid > 1 && e.startTime !== undefined && processStartTime(pid) === e.startTime;
}
