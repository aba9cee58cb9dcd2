import { ALARM, OK, UNKNOWN, type Alarm, type AlarmState, type CompositeRule, type ThresholdRule, type ThresholdType } from './models.js';
import type { MetricSource } from './ports.js';
import { evaluateThreshold, thresholdReason, type RuleOutcome } from './threshold.js';

/** What an evaluation decided: `state` is new when it differs from the alarm's. */
export interface Decision {
  state: AlarmState;
  reason: string;
  reasonData: Record<string, unknown>;
}

/**
 * Aodh's threshold transition rules, for the alarm's current state:
 * - unequivocal points (all outside: alarm; all inside: ok) set that state;
 * - mixed points move an alarm out of `insufficient data` to the side of the latest point, and
 *   otherwise keep the state (re-notified each cycle with repeat_actions);
 * - no data moves the alarm to `insufficient data`.
 * Undefined: nothing to write or notify.
 */
export function decideThreshold(a: Readonly<Alarm>, rule: ThresholdRule, o: RuleOutcome): Decision | undefined {
  const unknown = a.state === UNKNOWN;
  let state: AlarmState | undefined;
  if (o.trending) {
    if (!unknown && !a.repeatActions) return undefined;
    state = unknown ? o.trending : a.state;
  } else {
    state = o.state!;
    if (state === a.state && !a.repeatActions) return undefined;
  }
  const r = thresholdReason(a.state, state, o, rule.evaluation_periods);
  return { state, reason: r.reason, reasonData: r.data };
}

interface Leaf {
  name: string;
  rule: ThresholdRule & { type: ThresholdType };
  outcome?: RuleOutcome;
  state?: AlarmState;
}
type Node = { op: 'and' | 'or'; subs: Node[] } | { leaf: Leaf };

function build(rule: CompositeRule, leaves: Leaf[]): Node {
  if ('and' in rule) return { op: 'and', subs: rule.and.map((r) => build(r, leaves)) };
  if ('or' in rule) return { op: 'or', subs: rule.or.map((r) => build(r, leaves)) };
  const leaf: Leaf = { name: `rule${leaves.length + 1}`, rule };
  leaves.push(leaf);
  return { leaf };
}

/** Whether the tree is in `target`: and = all sub-rules, or = any (for ok: the dual). */
function holds(n: Node, target: AlarmState): boolean {
  if ('leaf' in n) return n.leaf.state === target;
  const all = (n.op === 'and') === (target === ALARM);
  return all ? n.subs.every((s) => holds(s, target)) : n.subs.some((s) => holds(s, target));
}

function form(n: Node): string {
  return 'leaf' in n ? n.leaf.name : `(${n.subs.map(form).join(` ${n.op} `)})`;
}

const WHY: Record<AlarmState, string> = { alarm: 'outside their threshold.', ok: 'inside their threshold.', 'insufficient data': 'state evaluated to unknown.' };

/**
 * A composite alarm: every sub-rule is evaluated; mixed sub-rules count as the side of their
 * latest point when the alarm is unknown and otherwise as the opposite of it (so a
 * flapping rule does not flip the alarm), as Aodh does; then the and/or tree decides alarm,
 * else ok, else insufficient data.
 * NOTE: Aodh evaluates sub-rules lazily and lists as causes only those it evaluated; Stratus
 * evaluates all of them (in parallel), so the causes may list more rules.
 */
export async function decideComposite(a: Readonly<Alarm>, source: MetricSource, now: number): Promise<Decision | undefined> {
  const leaves: Leaf[] = [];
  const tree = build(a.rule as CompositeRule, leaves);
  await Promise.all(leaves.map(async (l) => (l.outcome = await evaluateThreshold(source, l.rule.type, l.rule, now))));
  for (const l of leaves) l.state = l.outcome!.state;
  let state: AlarmState | undefined = holds(tree, ALARM) ? ALARM : holds(tree, OK) ? OK : undefined;
  if (!state) {
    for (const l of leaves) {
      const t = l.outcome!.trending;
      if (t) l.state = a.state === UNKNOWN ? t : t === ALARM ? OK : ALARM;
    }
    state = holds(tree, ALARM) ? ALARM : holds(tree, OK) ? OK : UNKNOWN;
  }
  if (state === a.state && (state === UNKNOWN || !a.repeatActions)) return undefined;
  const causes = Object.fromEntries(leaves.filter((l) => l.state === state).map((l) => [l.name, l.rule]));
  const verb = state !== a.state ? `transition to ${state}` : `remaining as ${state}`;
  return {
    state,
    reason: `Composite rule alarm with composition form: ${form(tree)} ${verb}, due to rules: ${Object.keys(causes).sort().join(', ')} ${WHY[state]}`,
    reasonData: { type: 'composite', composition_form: form(tree), causative_rules: causes },
  };
}

export async function decide(a: Readonly<Alarm>, source: MetricSource, now: number): Promise<Decision | undefined> {
  if (a.type === 'composite') return decideComposite(a, source, now);
  const rule = a.rule as ThresholdRule;
  return decideThreshold(a, rule, await evaluateThreshold(source, a.type, rule, now));
}
