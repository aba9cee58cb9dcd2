import type { StoreOps } from '../../../store/index.js';
import { applyMethod, bucketOf, bucketValues, isRate, baseMethod, type Point } from './aggregation.js';
import { KIND, type ArchivePolicy } from './models.js';

/**
 * Carbonara-like storage of one metric's measures, aggregated on write.
 *
 * - The **archive record** keeps the raw measures of the current block (the largest
 *   granularity's bucket holding the newest measure, widened by `back_window` blocks) and the
 *   last raw measure before it (for `rate:` methods). Measures older than the block's start
 *   are dropped, as Gnocchi drops them.
 * - Each (method, granularity) series is stored in **splits** of `SPLIT_POINTS` buckets, so a
 *   write rewrites only the split(s) it touches and a read of N points loads about
 *   N / SPLIT_POINTS records. A series keeps its newest `points` buckets: older splits are
 *   deleted on write and older points in the oldest split are skipped on read, so a metric
 *   never holds more than `points + SPLIT_POINTS` points per series.
 */
export const SPLIT_POINTS = 256;

export interface ArchiveRecord {
  id: string;
  raw: Point[];
  prev: Point | null;
  /** Newest measure's time, null before the first. */
  last: number | null;
  /** Stored split keys per series (`<method>@<granularity ms>`), ascending. */
  splits: Record<string, number[]>;
}

interface Split {
  /** Offsets of the buckets from the split's first bucket, in granularity units. */
  o: number[];
  v: number[];
}

const seriesKey = (method: string, g: number) => `${method}@${g}`;
const splitId = (metricId: string, method: string, g: number, key: number) => `${metricId}/${method}@${g}/${key}`;
const splitKeyOf = (t: number, g: number) => Math.floor(t / (g * SPLIT_POINTS));

export function emptyArchive(id: string): ArchiveRecord {
  return { id, raw: [], prev: null, last: null, splits: {} };
}

/** The start of the block measures must not precede. */
function blockStart(policy: ArchivePolicy, last: number | null): number {
  if (last === null) return -Infinity;
  const maxG = Math.max(...policy.definition.map((d) => d.granularity));
  return bucketOf(last, maxG) - policy.backWindow * maxG;
}

/**
 * Adds measures to a metric inside a transaction and updates every series. Returns how many
 * measures were kept (the rest were older than the block).
 */
export async function addMeasures(ops: StoreOps, metricId: string, policy: ArchivePolicy, measures: Point[]): Promise<number> {
  const rec = (await ops.get<ArchiveRecord>(KIND.archive, metricId))?.data;
  const a = rec ?? emptyArchive(metricId);
  const floor = blockStart(policy, a.last);
  const fresh = measures.filter(([t, v]) => t >= floor && Number.isFinite(v)).sort((x, y) => x[0] - y[0]);
  if (fresh.length === 0) return 0;

  // Merge into the raw buffer; a later measure at the same time replaces the earlier one.
  const byTime = new Map<number, number>(a.raw.map(([t, v]) => [t, v]));
  for (const [t, v] of fresh) byTime.set(t, v);
  const raw: Point[] = [...byTime.entries()].sort((x, y) => x[0] - y[0]);
  const last = raw[raw.length - 1]![0];
  const freshTimes = new Set(fresh.map(([t]) => t));

  for (const def of policy.definition) {
    const g = def.granularity;
    const touched = new Set<number>(fresh.map(([t]) => bucketOf(t, g)));
    const rateTouched = new Set<number>(touched);
    // A measure inserted before others changes the next measure's difference too.
    for (let i = 1; i < raw.length; i++) if (freshTimes.has(raw[i - 1]![0])) rateTouched.add(bucketOf(raw[i]![0], g));
    for (const method of policy.aggregationMethods) {
      const rate = isRate(method);
      const wanted = rate ? rateTouched : touched;
      const groups = bucketValues(raw, a.prev, g, rate, wanted);
      const updates = new Map<number, number | undefined>();
      for (const b of wanted) {
        const vals = groups.get(b);
        const v = vals ? applyMethod(baseMethod(method), vals) : undefined;
        updates.set(b, v !== undefined && Number.isFinite(v) ? v : undefined);
      }
      await writeSeries(ops, a, metricId, method, g, def.points, updates, Math.max(last, a.last ?? -Infinity));
    }
  }

  // Keep only the current block (and the measure before it, for rates).
  a.last = Math.max(last, a.last ?? -Infinity);
  const start = blockStart(policy, a.last);
  const keepFrom = raw.findIndex(([t]) => t >= start);
  const cut = keepFrom < 0 ? raw.length : keepFrom;
  if (cut > 0) a.prev = raw[cut - 1]!;
  a.raw = raw.slice(cut);
  if (rec) await ops.update(KIND.archive, metricId, a);
  else await ops.create(KIND.archive, metricId, a);
  return fresh.length;
}

/** Upserts bucket values (undefined removes a bucket) and drops splits past the timespan. */
async function writeSeries(ops: StoreOps, a: ArchiveRecord, metricId: string, method: string, g: number, points: number, updates: Map<number, number | undefined>, last: number): Promise<void> {
  const oldest = bucketOf(last, g) - (points - 1) * g;
  const key = seriesKey(method, g);
  const keys = new Set(a.splits[key] ?? []);
  const bySplit = new Map<number, [number, number | undefined][]>();
  for (const [b, v] of updates) {
    if (b < oldest) continue;
    const k = splitKeyOf(b, g);
    let list = bySplit.get(k);
    if (!list) bySplit.set(k, (list = []));
    list.push([b, v]);
  }
  for (const [k, list] of bySplit) {
    const id = splitId(metricId, method, g, k);
    const cur = keys.has(k) ? (await ops.get<Split>(KIND.split, id))?.data : undefined;
    const base = k * SPLIT_POINTS * g;
    const m = new Map<number, number>();
    if (cur) for (let i = 0; i < cur.o.length; i++) m.set(cur.o[i]!, cur.v[i]!);
    for (const [b, v] of list) {
      const off = (b - base) / g;
      if (v === undefined) m.delete(off);
      else m.set(off, v);
    }
    const minOff = (oldest - base) / g;
    const entries = [...m.entries()].filter(([o]) => o >= minOff).sort((x, y) => x[0] - y[0]);
    const data: Split = { o: entries.map((e) => e[0]), v: entries.map((e) => e[1]) };
    if (cur) await ops.update(KIND.split, id, data);
    else {
      await ops.create(KIND.split, id, data);
      keys.add(k);
    }
  }
  const minKey = splitKeyOf(oldest, g);
  for (const k of keys) {
    if (k < minKey) {
      await ops.delete(KIND.split, splitId(metricId, method, g, k));
      keys.delete(k);
    }
  }
  a.splits[key] = [...keys].sort((x, y) => x - y);
}

/**
 * The stored points of one series, from `start` (rounded down to the granularity) up to,
 * not including, `stop`, oldest first; only the newest `points` buckets.
 */
export async function readSeries(ops: StoreOps, a: ArchiveRecord, metricId: string, method: string, g: number, points: number, start?: number, stop?: number): Promise<Point[]> {
  const keys = a.splits[seriesKey(method, g)] ?? [];
  if (!keys.length || a.last === null) return [];
  const oldest = bucketOf(a.last, g) - (points - 1) * g;
  const from = Math.max(oldest, start === undefined ? -Infinity : bucketOf(start, g));
  const to = stop ?? Infinity;
  const wanted = keys.filter((k) => (k + 1) * SPLIT_POINTS * g > from && k * SPLIT_POINTS * g < to);
  if (!wanted.length) return [];
  const recs = await ops.find<Split>(KIND.split, { ids: wanted.map((k) => splitId(metricId, method, g, k)), shared: true });
  const out: Point[] = [];
  for (const r of recs) {
    const k = Number(r.id.slice(r.id.lastIndexOf('/') + 1));
    const base = k * SPLIT_POINTS * g;
    const { o, v } = r.data;
    for (let i = 0; i < o.length; i++) {
      const t = base + o[i]! * g;
      if (t >= from && t < to) out.push([t, v[i]!]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]);
}

/** Removes a metric's archive and every split. */
export async function deleteArchive(ops: StoreOps, metricId: string): Promise<void> {
  const a = (await ops.get<ArchiveRecord>(KIND.archive, metricId))?.data;
  if (!a) return;
  for (const [key, keys] of Object.entries(a.splits)) {
    const at = key.lastIndexOf('@');
    for (const k of keys) await ops.delete(KIND.split, splitId(metricId, key.slice(0, at), Number(key.slice(at + 1)), k));
  }
  await ops.delete(KIND.archive, metricId);
}
