/** Figures, verdicts, ratios and the final table. Everything the bench prints goes through here. */

export type Better = 'higher' | 'lower';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  better: Better;
  /** Target, compared in the direction of `better` (>= for higher, <= for lower). */
  target?: number;
  /** A baseline measured in this run, in the same unit. */
  base?: { name: string; value: number };
  /** Keystone's published reference median (../shared/anchors/README.md), same unit. */
  ref?: number;
  /** Context printed after the figure (latencies, CPU, bound). */
  note?: string;
}

export const out = (s = ''): void => void process.stdout.write(s + '\n');

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return `n/a ${unit}`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

export function verdict(f: Figure): 'PASS' | 'MISS' | 'info' {
  if (f.target === undefined) return 'info';
  const ok = f.better === 'higher' ? f.value >= f.target : f.value <= f.target;
  return ok ? 'PASS' : 'MISS';
}

export function targetText(f: Figure): string {
  return f.target === undefined ? '-' : `${f.better === 'higher' ? '>=' : '<='} ${fmt(f.target, f.unit)}`;
}

const words = (unit: string): [string, string] => (unit === 'MiB' ? ['smaller', 'larger'] : ['faster', 'slower']);

/** "3.2x faster" style comparison of `v` against `other` (both same unit). */
export function compare(v: number, other: number, better: Better, unit: string): string {
  if (!Number.isFinite(v) || !Number.isFinite(other) || v <= 0 || other <= 0) return 'n/a';
  const good = better === 'higher' ? v / other : other / v;
  const [up, down] = words(unit);
  if (good >= 1) return `${fixed(good)}x ${up}`;
  return `${fixed(1 / good)}x ${down}`;
}

/** Plain ratio value/base, for "our cost over bare Node" style figures. */
export function ratio(v: number, base: number): string {
  return Number.isFinite(v) && Number.isFinite(base) && base > 0 ? `${fixed(v / base)}x` : 'n/a';
}

function fixed(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function baseText(f: Figure): string {
  if (!f.base) return '-';
  return `${ratio(f.value, f.base.value)} of ${f.base.name} (${fmt(f.base.value, f.unit)})`;
}

/** One figure as it is measured: value, target, verdict, same-run ratio. */
export function printFigure(f: Figure): void {
  const v = verdict(f);
  const head = `  ${f.name.padEnd(34)} ${fmt(f.value, f.unit).padStart(14)}`;
  const tgt = f.target === undefined ? '' : `   target ${targetText(f)}  ${v}`;
  out(head + tgt);
  if (f.base) out(`      ${baseText(f)}`);
  if (f.note) out(`      ${f.note}`);
}

export function section(title: string): void {
  out();
  out(`== ${title}`);
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out(line(rows[0]!));
  out('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) out(line(r));
}

export function printSummary(figs: Figure[]): void {
  section('Summary');
  table([
    ['figure', 'value', 'target', 'verdict', 'vs same-run baseline', 'vs Keystone ref*'],
    ...figs.map((f) => [
      f.name,
      fmt(f.value, f.unit),
      targetText(f),
      verdict(f),
      f.base ? `${ratio(f.value, f.base.value)} ${f.base.name}` : '-',
      f.ref === undefined ? '-' : compare(f.value, f.ref, f.better, f.unit),
    ]),
  ]);
  const judged = figs.filter((f) => f.target !== undefined);
  const missed = judged.filter((f) => verdict(f) === 'MISS');
  out();
  out(`  ${judged.length - missed.length}/${judged.length} targets met${missed.length ? `; MISS: ${missed.map((f) => f.name).join(', ')}` : ''}`);
  out('  * reference figures from ../shared/anchors/README.md (Keystone, uwsgi 2 procs, no cache), not measured in this run');
}
