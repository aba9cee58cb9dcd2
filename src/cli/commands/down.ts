import { defaultDataDir } from '../../config/config.js';
import { cleanupDataPlane, leftovers } from '../../dataplane/cleanup.js';
import { hostRunner } from '../../dataplane/exec.js';
import { cloudPrefix } from '../../dataplane/names.js';
import { isRoot } from '../../dataplane/probe.js';
import { readFileSync } from 'node:fs';
import { readState } from '../state.js';

/**
 * `stratus down`: stops a running `up` of the data dir (SIGTERM to its recorded PID, then waits;
 * its own shutdown removes the data plane), then removes whatever the inventory or the cloud's
 * namespace prefix still shows: processes, mounts, loop devices, nft tables, links and
 * namespaces. Idempotent: a second run finds nothing and says so.
 */
/** True while `pid` runs (a zombie, killed but not yet reaped by its parent, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function down(o: { dataDir?: string; timeoutMs?: number }): Promise<number> {
  const dataDir = o.dataDir ?? defaultDataDir();
  const out = (s: string) => process.stdout.write(s + '\n');
  const s = readState(dataDir);
  if (s && isAlive(s.pid)) {
    out(`Stopping stratus up (pid ${s.pid})…`);
    try {
      process.kill(s.pid, 'SIGTERM');
    } catch (e) {
      process.stderr.write(`stratus down: cannot signal pid ${s.pid}: ${(e as Error).message}\n`);
      return 1;
    }
    const end = Date.now() + (o.timeoutMs ?? 60_000);
    while (isAlive(s.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(s.pid)) {
      process.stderr.write(`stratus down: pid ${s.pid} is still running after ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s; not touching its data plane. Kill it, then run 'stratus down' again.\n`);
      return 1;
    }
    out(`Stopped pid ${s.pid}.`);
  }
  const before = leftovers(dataDir);
  if (!before.namespaces.length && !before.processes.length && !before.rootLinks.length && !before.inventory.length) {
    out(`Nothing of ${dataDir}'s data plane (${cloudPrefix(dataDir)}) is left on this host.`);
    return 0;
  }
  if (!isRoot()) {
    process.stderr.write(`stratus down: ${before.namespaces.length} namespaces and ${before.inventory.length} inventory entries remain; removing them needs root (sudo stratus down --data-dir ${dataDir}).\n`);
    return 1;
  }
  const r = await cleanupDataPlane(dataDir, hostRunner);
  out(`Removed ${r.processes} processes, ${r.namespaces} namespaces, ${r.links} links, ${r.mounts} mounts, ${r.loops} loop devices, ${r.other} other items (${cloudPrefix(dataDir)}).`);
  const after = leftovers(dataDir);
  if (r.errors.length || after.namespaces.length || after.processes.length || after.rootLinks.length) {
    for (const e of r.errors) process.stderr.write(`stratus down: ${e}\n`);
    process.stderr.write(`stratus down: still present: ${JSON.stringify({ namespaces: after.namespaces, processes: after.processes, links: after.rootLinks })}\n`);
    return 1;
  }
  return 0;
}
