import { DEFAULT_METHODS, isMethod, BASIC_METHODS } from './aggregation.js';
import type { MetricContext } from './context.js';
import { invalidInput, policyExists, policyInUse, policyNotFound, ruleExists, ruleNotFound } from './errors.js';
import { KIND, type ArchiveDefinition, type ArchivePolicy, type ArchivePolicyRule, type Metric } from './models.js';
import { timespanMs } from './timespec.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;
const def = (granularity: number, timespan: number): ArchiveDefinition => ({ granularity, points: timespan / granularity });

/** Gnocchi's default policies, plus devstack's ceilometer ones. */
export const DEFAULT_POLICIES: Omit<ArchivePolicy, 'id'>[] = [
  { name: 'bool', backWindow: 3600, definition: [def(S, 365 * D)], aggregationMethods: ['last'] },
  { name: 'low', backWindow: 0, definition: [def(5 * MIN, 30 * D)], aggregationMethods: DEFAULT_METHODS },
  { name: 'medium', backWindow: 0, definition: [def(MIN, 7 * D), def(H, 365 * D)], aggregationMethods: DEFAULT_METHODS },
  { name: 'high', backWindow: 0, definition: [def(S, H), def(MIN, 7 * D), def(H, 365 * D)], aggregationMethods: DEFAULT_METHODS },
  { name: 'ceilometer-low', backWindow: 0, definition: [def(5 * MIN, 30 * D)], aggregationMethods: ['mean'] },
  { name: 'ceilometer-low-rate', backWindow: 0, definition: [def(5 * MIN, 30 * D)], aggregationMethods: ['mean', 'rate:mean'] },
  { name: 'ceilometer-high', backWindow: 0, definition: [def(S, H), def(MIN, D), def(H, 365 * D)], aggregationMethods: ['mean'] },
  { name: 'ceilometer-high-rate', backWindow: 0, definition: [def(S, H), def(MIN, D), def(H, 365 * D)], aggregationMethods: ['mean', 'rate:mean'] },
];

/** The rule `gnocchi-upgrade` creates: every metric without a policy gets `low`. */
export const DEFAULT_RULE: Omit<ArchivePolicyRule, 'id'> = { name: 'default', metricPattern: '*', archivePolicyName: 'low' };

/** Input of an archive policy create, as parsed from the wire (seconds or strings). */
export interface PolicyInput {
  name: unknown;
  back_window?: unknown;
  definition?: unknown;
  aggregation_methods?: unknown;
}

const NAME_RE = /^[^/\s][^/]{0,254}$/;

/** Archive policies and their rules; policies are cached (few, read on every write). */
export class ArchivePolicies {
  private cache = new Map<string, ArchivePolicy>();
  private loaded = false;

  constructor(private readonly ctx: MetricContext) {}

  async init(): Promise<void> {
    const have = await this.ctx.store.count(KIND.policy);
    if (have === 0) {
      await this.ctx.store.tx(async (tx) => {
        for (const p of DEFAULT_POLICIES) await tx.create(KIND.policy, p.name, { id: p.name, ...p });
        if (!(await tx.get(KIND.rule, DEFAULT_RULE.name))) await tx.create(KIND.rule, DEFAULT_RULE.name, { id: DEFAULT_RULE.name, ...DEFAULT_RULE });
      });
    }
    await this.reload();
  }

  private async reload(): Promise<void> {
    const all = await this.ctx.store.find<ArchivePolicy>(KIND.policy);
    this.cache = new Map(all.map((r) => [r.id, r.data]));
    this.loaded = true;
  }

  async list(): Promise<ArchivePolicy[]> {
    if (!this.loaded) await this.reload();
    return [...this.cache.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ArchivePolicy> {
    if (!this.loaded) await this.reload();
    const p = this.cache.get(name);
    if (!p) throw policyNotFound(name);
    return p;
  }

  async create(input: PolicyInput): Promise<ArchivePolicy> {
    if (typeof input.name !== 'string' || !NAME_RE.test(input.name)) throw invalidInput("required key not provided @ data['name']: a name without '/' or spaces");
    const p: ArchivePolicy = {
      id: input.name,
      name: input.name,
      backWindow: parseBackWindow(input.back_window),
      definition: parseDefinition(input.definition),
      aggregationMethods: parseMethods(input.aggregation_methods),
    };
    try {
      await this.ctx.store.create(KIND.policy, p.id, p);
    } catch {
      throw policyExists(p.name);
    }
    this.cache.set(p.name, p);
    return p;
  }

  /** Gnocchi lets an update change timespans (points), never the granularities. */
  async update(name: string, input: { definition?: unknown }): Promise<ArchivePolicy> {
    const cur = await this.get(name);
    const definition = parseDefinition(input.definition);
    const before = cur.definition.map((d) => d.granularity).sort((a, b) => a - b).join();
    const after = definition.map((d) => d.granularity).sort((a, b) => a - b).join();
    if (before !== after) throw invalidInput('Archive policy definition granularities cannot be changed, only their timespan or points');
    const next = { ...cur, definition };
    await this.ctx.store.update(KIND.policy, name, next);
    this.cache.set(name, next);
    return next;
  }

  async delete(name: string): Promise<void> {
    await this.get(name);
    await this.ctx.store.tx(async (tx) => {
      const used = await tx.count(KIND.metric, { where: { archivePolicyName: name } });
      const ruled = await tx.count(KIND.rule, { where: { archivePolicyName: name } });
      if (used || ruled) throw policyInUse(name);
      await tx.delete(KIND.policy, name);
    });
    this.cache.delete(name);
  }

  // --- rules -------------------------------------------------------------------------------

  async rules(): Promise<ArchivePolicyRule[]> {
    return (await this.ctx.store.find<ArchivePolicyRule>(KIND.rule)).map((r) => r.data).sort((a, b) => a.name.localeCompare(b.name));
  }

  async rule(name: string): Promise<ArchivePolicyRule> {
    const r = (await this.ctx.store.get<ArchivePolicyRule>(KIND.rule, name))?.data;
    if (!r) throw ruleNotFound(name);
    return r;
  }

  async createRule(input: { name?: unknown; metric_pattern?: unknown; archive_policy_name?: unknown }): Promise<ArchivePolicyRule> {
    for (const k of ['name', 'metric_pattern', 'archive_policy_name'] as const) {
      if (typeof input[k] !== 'string' || input[k] === '') throw invalidInput(`required key not provided @ data['${k}']`);
    }
    const rule: ArchivePolicyRule = { id: input.name as string, name: input.name as string, metricPattern: input.metric_pattern as string, archivePolicyName: input.archive_policy_name as string };
    await this.get(rule.archivePolicyName);
    try {
      await this.ctx.store.create(KIND.rule, rule.id, rule);
    } catch {
      throw ruleExists(rule.name);
    }
    return rule;
  }

  async renameRule(name: string, input: { name?: unknown }): Promise<ArchivePolicyRule> {
    if (typeof input.name !== 'string' || input.name === '') throw invalidInput("required key not provided @ data['name']");
    const cur = await this.rule(name);
    const next = { ...cur, id: input.name, name: input.name };
    await this.ctx.store.tx(async (tx) => {
      if (await tx.get(KIND.rule, next.id)) throw ruleExists(next.name);
      await tx.delete(KIND.rule, name);
      await tx.create(KIND.rule, next.id, next);
    });
    return next;
  }

  async deleteRule(name: string): Promise<void> {
    if (!(await this.ctx.store.delete(KIND.rule, name))) throw ruleNotFound(name);
  }

  /**
   * The policy for a new metric without one: the rule with the longest matching pattern
   * (Gnocchi orders by pattern length), else a 400 telling what to do.
   */
  async forMetricName(name: string | null): Promise<string> {
    const rules = (await this.rules()).sort((a, b) => b.metricPattern.length - a.metricPattern.length);
    const hit = name === null ? rules.find((r) => r.metricPattern === '*') : rules.find((r) => globMatch(r.metricPattern, name));
    if (!hit) throw invalidInput(`No archive policy name specified and no archive policy rule found matching the metric name ${name ?? ''}`);
    return hit.archivePolicyName;
  }

  /** Metrics that use `name` (for delete checks in tests and status). */
  async metricsUsing(name: string): Promise<Metric[]> {
    return (await this.ctx.store.find<Metric>(KIND.metric, { where: { archivePolicyName: name } })).map((r) => r.data);
  }
}

export function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(s);
}

function parseBackWindow(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidInput("back_window must be a non-negative integer @ data['back_window']");
  return v;
}

const MAX_POINTS = 31_536_000 * 2;

export function parseDefinition(v: unknown): ArchiveDefinition[] {
  if (!Array.isArray(v) || v.length === 0) throw invalidInput("required key not provided @ data['definition']: a list of {granularity, points|timespan}");
  const out: ArchiveDefinition[] = [];
  for (const [i, d] of v.entries()) {
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalidInput(`expected a dictionary @ data['definition'][${i}]`);
    const o = d as Record<string, unknown>;
    const g = o.granularity === undefined ? undefined : timespanMs(o.granularity);
    const ts = o.timespan === undefined ? undefined : timespanMs(o.timespan);
    const pts = o.points;
    if (o.granularity !== undefined && (g === undefined || g <= 0)) throw invalidInput(`Invalid granularity ${JSON.stringify(o.granularity)} @ data['definition'][${i}]['granularity']: must be a positive timespan such as 60 or "1 minute"`);
    if (o.timespan !== undefined && (ts === undefined || ts <= 0)) throw invalidInput(`Invalid timespan ${JSON.stringify(o.timespan)} @ data['definition'][${i}]['timespan']`);
    if (pts !== undefined && (typeof pts !== 'number' || !Number.isInteger(pts) || pts <= 0)) throw invalidInput(`points must be a positive integer @ data['definition'][${i}]['points']`);
    const n = [g, ts, pts].filter((x) => x !== undefined).length;
    if (n < 2) throw invalidInput(`At least two of granularity/points/timespan must be provided @ data['definition'][${i}]`);
    let granularity = g;
    let points = pts as number | undefined;
    if (granularity === undefined) granularity = Math.round(ts! / points!);
    if (points === undefined) {
      if (ts! % granularity !== 0) throw invalidInput(`timespan ${formatSpan(ts!)} is not a multiple of granularity ${formatSpan(granularity)} @ data['definition'][${i}]`);
      points = ts! / granularity;
    } else if (ts !== undefined && granularity * points !== ts) throw invalidInput(`timespan ≠ granularity × points @ data['definition'][${i}]`);
    if (granularity <= 0 || points <= 0) throw invalidInput(`granularity and points must be positive @ data['definition'][${i}]`);
    if (points > MAX_POINTS) throw invalidInput(`too many points (${points}, at most ${MAX_POINTS}) @ data['definition'][${i}]`);
    if (out.some((x) => x.granularity === granularity)) throw invalidInput(`More than one archive policy uses granularity \`${granularity / 1000}'`);
    out.push({ granularity, points });
  }
  return out;
}

function formatSpan(ms: number): string {
  return `${ms / 1000}s`;
}

/** `aggregation_methods`: names, or only `+x`/`-x` changes to the defaults; `*` is all. */
export function parseMethods(v: unknown): string[] {
  if (v === undefined) return [...DEFAULT_METHODS];
  if (!Array.isArray(v) || v.some((m) => typeof m !== 'string')) throw invalidInput("expected a list of strings @ data['aggregation_methods']");
  const list = v as string[];
  const relative = list.length > 0 && list.every((m) => m.startsWith('+') || m.startsWith('-'));
  const set = new Set<string>(relative ? DEFAULT_METHODS : []);
  for (const raw of list) {
    const op = raw[0] === '+' || raw[0] === '-' ? raw[0] : '';
    const m = op ? raw.slice(1) : raw;
    const names = m === '*' ? [...BASIC_METHODS] : [m];
    for (const n of names) {
      if (!isMethod(n)) throw invalidInput(`Invalid aggregation method ${JSON.stringify(n)} @ data['aggregation_methods']; use mean, sum, last, max, min, std, median, first, count, pNN or rate:<method>`);
      if (op === '-') set.delete(n);
      else set.add(n);
    }
  }
  if (set.size === 0) throw invalidInput("at least one aggregation method is needed @ data['aggregation_methods']");
  return [...set];
}
