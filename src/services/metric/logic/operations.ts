import { invalidInput } from './errors.js';
import { applyMethod, bucketOf, isMethod, type Point } from './aggregation.js';

/**
 * The operations language of Gnocchi's `/v1/aggregates`: an S-expression (or the same as
 * nested JSON lists) over series. Leaves are `(metric <ref> <method>)` or
 * `(metric (<ref> <method>) ...)`; functions are `aggregate`, `resample`, `rolling`,
 * arithmetic (`+ - * / **`), `abs`/`absolute`, `neg`/`negative`, `floor`, `ceil`, `round`,
 * `cos`, `sin`, `tan`, `clip`, `rateofchange`. Evaluation is pure over fetched series.
 */
export type Expr = string | number | Expr[];

export function parseOperations(v: unknown): Expr {
  if (Array.isArray(v)) return v as Expr;
  if (typeof v !== 'string' || v.trim() === '') throw invalidInput("required key not provided @ data['operations']");
  const toks = v.match(/\(|\)|"[^"]*"|'[^']*'|[^\s()]+/g) ?? [];
  let pos = 0;
  const read = (): Expr => {
    const t = toks[pos++];
    if (t === undefined) throw invalidInput(`Invalid operations: unexpected end of ${JSON.stringify(v)}`);
    if (t === '(') {
      const list: Expr[] = [];
      while (toks[pos] !== ')') {
        if (pos >= toks.length) throw invalidInput(`Invalid operations: missing ')' in ${JSON.stringify(v)}`);
        list.push(read());
      }
      pos++;
      return list;
    }
    if (t === ')') throw invalidInput(`Invalid operations: unexpected ')' in ${JSON.stringify(v)}`);
    if (/^["'].*["']$/.test(t)) return t.slice(1, -1);
    return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  };
  const out = read();
  if (pos !== toks.length) throw invalidInput(`Invalid operations: trailing input in ${JSON.stringify(v)}`);
  return out;
}

/** A metric reference found in the operations: (ref, method). */
export interface MetricRef {
  ref: string;
  method: string;
}

/** Every `(metric …)` leaf's references, to fetch before evaluating. */
export function metricRefs(e: Expr): MetricRef[] {
  if (!Array.isArray(e)) return [];
  if (e[0] === 'metric') {
    const args = e.slice(1);
    if (args.length === 2 && !Array.isArray(args[0])) return [checkRef(args[0]!, args[1]!)];
    return args.map((a) => {
      if (!Array.isArray(a) || a.length !== 2) throw invalidInput(`Invalid operations: metric expects (metric <id> <aggregation>) or (metric (<id> <aggregation>) ...)`);
      return checkRef(a[0]!, a[1]!);
    });
  }
  return e.slice(1).flatMap(metricRefs);
}

function checkRef(ref: Expr, method: Expr): MetricRef {
  if (typeof ref !== 'string' && typeof ref !== 'number') throw invalidInput('Invalid operations: a metric reference must be an id or a name');
  if (typeof method !== 'string' || !isMethod(method)) throw invalidInput(`Invalid operations: ${JSON.stringify(method)} is not an aggregation method`);
  return { ref: String(ref), method };
}

/** One series: where it goes in the output (`key` path), its granularity and points. */
export interface Series {
  key: string[];
  granularity: number;
  points: Point[];
}

export interface EvalContext {
  /** The fetched series of a reference (one per granularity asked for). */
  fetch(ref: MetricRef): Series[];
  /** Percent of series that must have a point at a time to aggregate it (default 100). */
  neededOverlap: number;
  /** Value for a missing point: a number, `null` (aggregate what exists) or none. */
  fill?: number | 'null' | 'dropna';
}

export function evaluate(e: Expr, ctx: EvalContext): Series[] | number {
  if (typeof e === 'number') return e;
  if (typeof e === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
    throw invalidInput(`Invalid operations: unexpected ${JSON.stringify(e)}`);
  }
  if (!e.length) throw invalidInput('Invalid operations: empty expression');
  const [head, ...args] = e;
  switch (head) {
    case 'metric':
      return metricRefs(e).flatMap((r) => ctx.fetch(r));
    case 'aggregate': {
      if (args.length !== 2 || typeof args[0] !== 'string' || !isMethod(args[0])) throw invalidInput('Invalid operations: use (aggregate <method> <operations>)');
      return aggregateAcross(series(evaluate(args[1]!, ctx)), args[0], ctx);
    }
    case 'resample': {
      if (args.length !== 3 || typeof args[0] !== 'string') throw invalidInput('Invalid operations: use (resample <method> <granularity s> <operations>)');
      const g = Number(args[1]) * 1000;
      if (!(g > 0)) throw invalidInput('Invalid operations: resample granularity must be a positive number of seconds');
      return series(evaluate(args[2]!, ctx)).map((s) => ({ ...s, granularity: g, points: regroup(s.points, g, args[0] as string) }));
    }
    case 'rolling': {
      if (args.length !== 3 || typeof args[0] !== 'string') throw invalidInput('Invalid operations: use (rolling <method> <window> <operations>)');
      const w = Number(args[1]);
      if (!Number.isInteger(w) || w < 1) throw invalidInput('Invalid operations: rolling window must be a positive integer');
      return series(evaluate(args[2]!, ctx)).map((s) => ({ ...s, points: rolling(s.points, w, args[0] as string) }));
    }
    case 'rateofchange':
      return unary(args, ctx, (pts) => pts.slice(1).map(([t, v], i): Point => [t, v - pts[i]![1]]));
    case 'clip': {
      if (args.length !== 3) throw invalidInput('Invalid operations: use (clip <operations> <min> <max>)');
      const lo = Number(args[1]);
      const hi = Number(args[2]);
      return unary([args[0]!], ctx, (pts) => pts.map(([t, v]): Point => [t, Math.min(hi, Math.max(lo, v))]));
    }
    default: {
      const fn = UNARY[head as string];
      if (fn) return unary(args, ctx, (pts) => pts.map(([t, v]): Point => [t, fn(v)]));
      const bin = BINARY[head as string];
      if (bin) return binary(args, ctx, bin);
      throw invalidInput(`Invalid operations: unknown operation ${JSON.stringify(head)}`);
    }
  }
}

const UNARY: Record<string, (v: number) => number> = {
  abs: Math.abs, absolute: Math.abs, neg: (v) => -v, negative: (v) => -v, floor: Math.floor, ceil: Math.ceil, round: Math.round,
  cos: Math.cos, sin: Math.sin, tan: Math.tan,
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, add: (a, b) => a + b,
  '-': (a, b) => a - b, sub: (a, b) => a - b,
  '*': (a, b) => a * b, mul: (a, b) => a * b,
  '/': (a, b) => a / b, truediv: (a, b) => a / b,
  '**': (a, b) => a ** b, pow: (a, b) => a ** b,
};

function series(v: Series[] | number): Series[] {
  if (typeof v === 'number') throw invalidInput('Invalid operations: a number where series are expected');
  return v;
}

function unary(args: Expr[], ctx: EvalContext, f: (p: Point[]) => Point[]): Series[] {
  if (args.length !== 1) throw invalidInput('Invalid operations: this function takes one operand');
  return series(evaluate(args[0]!, ctx)).map((s) => ({ ...s, points: f(s.points) }));
}

function binary(args: Expr[], ctx: EvalContext, f: (a: number, b: number) => number): Series[] {
  if (args.length !== 2) throw invalidInput('Invalid operations: this operator takes two operands');
  const a = evaluate(args[0]!, ctx);
  const b = evaluate(args[1]!, ctx);
  const finite = (pts: Point[]) => pts.filter(([, v]) => Number.isFinite(v));
  if (typeof a === 'number' && typeof b === 'number') throw invalidInput('Invalid operations: an operator needs at least one series');
  if (typeof b === 'number') return (a as Series[]).map((s) => ({ ...s, points: finite(s.points.map(([t, v]): Point => [t, f(v, b)])) }));
  if (typeof a === 'number') return b.map((s) => ({ ...s, points: finite(s.points.map(([t, v]): Point => [t, f(a, v)])) }));
  // Series with series: pair by granularity, position within it (or broadcast a single one).
  const out: Series[] = [];
  for (const s of a) {
    const peers = b.filter((x) => x.granularity === s.granularity);
    const peer = peers.length === 1 ? peers[0] : peers[a.filter((x) => x.granularity === s.granularity).indexOf(s)];
    if (!peer) continue;
    const other = new Map(peer.points);
    const pts: Point[] = [];
    for (const [t, v] of s.points) if (other.has(t)) pts.push([t, f(v, other.get(t)!)]);
    out.push({ ...s, points: finite(pts) });
  }
  return out;
}

/** `(aggregate m …)`: one series per granularity, method `m` across series per timestamp. */
function aggregateAcross(input: Series[], method: string, ctx: EvalContext): Series[] {
  const base = method.startsWith('rate:') ? method.slice(5) : method;
  const byG = new Map<number, Series[]>();
  for (const s of input) {
    let list = byG.get(s.granularity);
    if (!list) byG.set(s.granularity, (list = []));
    list.push(s);
  }
  const out: Series[] = [];
  for (const [g, list] of [...byG.entries()].sort((x, y) => y[0] - x[0])) {
    const times = new Map<number, number[]>();
    for (const s of list) for (const [t, v] of s.points) {
      let vals = times.get(t);
      if (!vals) times.set(t, (vals = []));
      vals.push(v);
    }
    let pts: Point[] = [];
    for (const [t, vals] of [...times.entries()].sort((x, y) => x[0] - y[0])) {
      let use = vals;
      if (vals.length < list.length) {
        if (typeof ctx.fill === 'number') use = [...vals, ...Array<number>(list.length - vals.length).fill(ctx.fill)];
        else if (ctx.fill === undefined && (vals.length * 100) / list.length < ctx.neededOverlap) continue;
      }
      const v = applyMethod(base, use);
      if (v !== undefined && Number.isFinite(v)) pts.push([t, v]);
    }
    if (method.startsWith('rate:')) pts = pts.slice(1).map(([t, v], i): Point => [t, v - pts[i]![1]]);
    out.push({ key: ['aggregated'], granularity: g, points: pts });
  }
  return out;
}

function regroup(points: Point[], g: number, method: string): Point[] {
  const groups = new Map<number, number[]>();
  for (const [t, v] of points) {
    const b = bucketOf(t, g);
    let list = groups.get(b);
    if (!list) groups.set(b, (list = []));
    list.push(v);
  }
  const out: Point[] = [];
  for (const [t, vals] of [...groups.entries()].sort((x, y) => x[0] - y[0])) {
    const v = applyMethod(method, vals);
    if (v !== undefined && Number.isFinite(v)) out.push([t, v]);
  }
  return out;
}

function rolling(points: Point[], w: number, method: string): Point[] {
  const out: Point[] = [];
  for (let i = w - 1; i < points.length; i++) {
    const v = applyMethod(method, points.slice(i - w + 1, i + 1).map((p) => p[1]));
    if (v !== undefined && Number.isFinite(v)) out.push([points[i]![0], v]);
  }
  return out;
}
