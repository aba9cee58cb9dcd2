import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from './manifests.js';

/** Unreferenced blobs younger than this are kept (a push uploads its blobs before its manifest). */
export const DEFAULT_GC_GRACE_MS = 3600_000;

/** What a storage offers the collector (DirRecordsStorage and so both storages implement it). */
export interface CollectableStorage {
  /** Runs `fn` alone: no commit, mount or manifest put runs meanwhile (see Gate). */
  collecting<T>(fn: () => Promise<T>): Promise<T>;
  repositories(): Promise<string[]>;
  /** Digests of the manifests repository `name` holds (tagged or not). */
  manifestDigests(name: string): Promise<string[]>;
  /** Every repository's blob links, with when each was written (a push or a mount). */
  blobLinks(): Promise<{ name: string; digest: string; mtimeMs: number }[]>;
  /** Digests of all stored content: layers, configs and manifest bytes. */
  contentDigests(): Promise<string[]>;
  /** The content's bytes (used for manifests only), or undefined when absent. */
  contentBytes(digest: string): Promise<Buffer | undefined>;
  blobSize(digest: string): Promise<number | undefined>;
  /** Removes the content and every repository's link to it. */
  deleteContent(digest: string): Promise<void>;
  /** Where the collector keeps its own record (`pending.json`). */
  readonly gcDir: string;
}

/** Whether `s` (a RegistryStorage) can be collected: both storages of this module can. */
export function isCollectable<S extends object>(s: S): s is S & CollectableStorage {
  const c = s as Partial<CollectableStorage>;
  return typeof c.collecting === 'function' && typeof c.contentDigests === 'function' && typeof c.deleteContent === 'function';
}

export interface GcOptions {
  /** Default DEFAULT_GC_GRACE_MS (1 h). */
  graceMs?: number;
  /** Report what would go, delete nothing. */
  dryRun?: boolean;
  now?: () => number;
}

export interface GcReport {
  repositories: number;
  manifests: number;
  /** Content reachable from a manifest (the manifests included). */
  referenced: number;
  /** Unreferenced content kept because it is within the grace period. */
  waiting: number;
  swept: { digest: string; size: number }[];
  bytesFreed: number;
  dryRun: boolean;
  ms: number;
}

/**
 * Mark and sweep of the registry's content. Mark: every manifest of every repository, the config
 * and layers of image manifests, and the children of indexes (read from their bytes, with their
 * own blobs, even when a child's repository record is gone). Sweep: content nothing marks, once
 * it has been seen unreferenced for `graceMs` (the first sighting is kept in `<gcDir>/pending.json`,
 * so it spans restarts) and no repository linked it within `graceMs` (a push or a cross-repository
 * mount of old content refreshes its link). The whole run is exclusive with commits, mounts and
 * manifest puts, so a push that checked its blobs finds them when it writes. Uploads in progress
 * live apart (staged files, see DirRecordsStorage) and are never touched; `recover()` ages them.
 *
 * Conservative on doubt: a manifest whose bytes cannot be read or parsed stops the run before
 * anything is deleted (the error says which).
 */
export async function collectGarbage(s: CollectableStorage, opts: GcOptions = {}): Promise<GcReport> {
  const graceMs = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
  const now = opts.now ?? Date.now;
  const t0 = performance.now();
  return s.collecting(async () => {
    const marked = new Set<string>();
    const mark = async (digest: string, where: string, manifest: boolean): Promise<void> => {
      if (marked.has(digest)) return;
      marked.add(digest);
      if (!manifest) return;
      const bytes = await s.contentBytes(digest);
      if (!bytes) return; // an index child never pushed: nothing below it to keep
      let parsed;
      try {
        parsed = parseManifest(bytes, undefined);
      } catch (e) {
        throw new Error(`garbage collection stopped, nothing deleted: manifest ${digest} (${where}) cannot be parsed: ${(e as Error).message}`);
      }
      for (const b of parsed.blobs) marked.add(b.digest);
      for (const c of parsed.manifests) await mark(c.digest, `${where}, index child`, true);
    };
    const repos = await s.repositories();
    let manifests = 0;
    for (const name of repos) {
      for (const d of await s.manifestDigests(name)) {
        manifests++;
        if (!(await s.contentBytes(d))) throw new Error(`garbage collection stopped, nothing deleted: the bytes of manifest ${d} in ${name} are missing`);
        await mark(d, `in ${name}`, true);
      }
    }
    const lastLinked = new Map<string, number>();
    for (const l of await s.blobLinks()) lastLinked.set(l.digest, Math.max(lastLinked.get(l.digest) ?? 0, l.mtimeMs));
    const pendingFile = join(s.gcDir, 'pending.json');
    const before = await readPending(pendingFile);
    const pending: Record<string, number> = {};
    const swept: GcReport['swept'] = [];
    let waiting = 0;
    const t = now();
    for (const digest of await s.contentDigests()) {
      if (marked.has(digest)) continue;
      const seen = before[digest] ?? t;
      const young = t - seen < graceMs || t - (lastLinked.get(digest) ?? 0) < graceMs;
      if (young) {
        pending[digest] = seen;
        waiting++;
        continue;
      }
      const size = (await s.blobSize(digest)) ?? 0;
      if (opts.dryRun) pending[digest] = seen;
      else await s.deleteContent(digest);
      swept.push({ digest, size });
    }
    await writePending(s.gcDir, pendingFile, pending);
    return {
      repositories: repos.length,
      manifests,
      referenced: marked.size,
      waiting,
      swept,
      bytesFreed: swept.reduce((n, x) => n + x.size, 0),
      dryRun: !!opts.dryRun,
      ms: Math.round(performance.now() - t0),
    };
  });
}

async function readPending(file: string): Promise<Record<string, number>> {
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

async function writePending(dir: string, file: string, pending: Record<string, number>): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(`${file}.tmp`, JSON.stringify(pending));
  await fsp.rename(`${file}.tmp`, file);
}

export interface GarbageCollector {
  /** Runs a collection now (after the one in progress, if any). */
  run(opts?: Omit<GcOptions, 'now'>): Promise<GcReport>;
  stop(): Promise<void>;
}

/**
 * Runs `collectGarbage` every `intervalMs` (0 = only on demand) until `stop`; a failed run is
 * logged and tried again next time. Runs never overlap.
 */
export function startGarbageCollector(s: CollectableStorage, o: { intervalMs: number; graceMs?: number; log?: (line: string) => void }): GarbageCollector {
  const log = o.log ?? (() => {});
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const run = (opts: Omit<GcOptions, 'now'> = {}) => {
    const next = chain.then(() => collectGarbage(s, { graceMs: o.graceMs, ...opts }));
    chain = next.catch(() => undefined);
    return next;
  };
  const tick = () => {
    timer = null;
    run()
      .then((r) => r.swept.length && log(`gc: removed ${r.swept.length} unreferenced blobs (${r.bytesFreed} bytes) in ${r.ms} ms; ${r.waiting} within the grace period`))
      .catch((e: Error) => log(`gc failed (trying again in ${o.intervalMs} ms): ${e.message}`))
      .finally(schedule);
  };
  const schedule = () => {
    if (stopped || o.intervalMs <= 0) return;
    timer = setTimeout(tick, o.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    run,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
    },
  };
}
