/**
 * Aggregation methods, as Gnocchi names them: mean, sum, last, max, min, std, median, first,
 * count and pNN (a percentile, 0 < NN < 100), each also as `rate:<method>` (the method applied
 * to the differences between consecutive raw measures). Pure functions over numbers.
 */

export const BASIC_METHODS = ['mean', 'sum', 'last', 'max', 'min', 'std', 'median', 'first', 'count'] as const;

/** Gnocchi's `default_aggregation_methods`. */
export const DEFAULT_METHODS = ['mean', 'min', 'max', 'sum', 'std', 'count'];

const PERCENTILE_RE = /^p(\d{1,2}(?:\.\d+)?)$/;

/** Whether `m` names an aggregation method (with or without `rate:`). */
export function isMethod(m: string): boolean {
  const base = m.startsWith('rate:') ? m.slice(5) : m;
  if ((BASIC_METHODS as readonly string[]).includes(base)) return true;
  const p = PERCENTILE_RE.exec(base);
  return !!p && Number(p[1]) > 0 && Number(p[1]) < 100;
}

export function isRate(m: string): boolean {
  return m.startsWith('rate:');
}

/** The base method of `rate:<m>`, else `m`. */
export function baseMethod(m: string): string {
  return isRate(m) ? m.slice(5) : m;
}

/**
 * Applies a base method to the values of one bucket (in time order). Undefined when the
 * method gives nothing (std of one value), so the bucket has no point, as in Gnocchi.
 */
export function applyMethod(method: string, values: number[]): number | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  switch (method) {
    case 'mean':
      return sum(values) / n;
    case 'sum':
      return sum(values);
    case 'last':
      return values[n - 1];
    case 'first':
      return values[0];
    case 'max':
      return values.reduce((a, b) => (b > a ? b : a), values[0]!);
    case 'min':
      return values.reduce((a, b) => (b < a ? b : a), values[0]!);
    case 'count':
      return n;
    case 'std': {
      if (n < 2) return undefined;
      const mean = sum(values) / n;
      return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    }
    case 'median':
      return percentile(values, 50);
    default: {
      const p = PERCENTILE_RE.exec(method);
      return p ? percentile(values, Number(p[1])) : undefined;
    }
  }
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** numpy's default (linear) percentile. */
function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** A measure or an aggregated point: [epoch ms, value]. */
export type Point = [number, number];

/**
 * Values per bucket of `granularityMs` for the buckets in `wanted`, from raw points sorted by
 * time. For a rate method the values are the differences to the previous raw point (`prev`
 * for the first), each counted in the bucket of the later point.
 */
export function bucketValues(raw: Point[], prev: Point | null, granularityMs: number, rate: boolean, wanted: Set<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < raw.length; i++) {
    const [t, v] = raw[i]!;
    const b = t - mod(t, granularityMs);
    if (!wanted.has(b)) continue;
    let value = v;
    if (rate) {
      const before = i > 0 ? raw[i - 1]! : prev;
      if (!before) continue;
      value = v - before[1];
    }
    let list = out.get(b);
    if (!list) out.set(b, (list = []));
    list.push(value);
  }
  return out;
}

/** A non-negative modulo (timestamps before 1970 stay in their bucket). */
export function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** The start of the bucket of `t`. */
export function bucketOf(t: number, granularityMs: number): number {
  return t - mod(t, granularityMs);
}

/** Aggregates a series into coarser buckets (`resample`), keeping the method's meaning. */
export function resample(points: Point[], granularityMs: number, method: string): Point[] {
  const m = baseMethod(method);
  const reduce = m === 'count' || m === 'sum' ? 'sum' : m;
  const groups = new Map<number, number[]>();
  for (const [t, v] of points) {
    const b = bucketOf(t, granularityMs);
    let list = groups.get(b);
    if (!list) groups.set(b, (list = []));
    list.push(v);
  }
  const out: Point[] = [];
  for (const [b, vals] of groups) {
    const v = applyMethod(reduce, vals);
    if (v !== undefined && Number.isFinite(v)) out.push([b, v]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}
