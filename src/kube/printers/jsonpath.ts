/**
 * The JSONPath subset CRD `additionalPrinterColumns` use (no braces): `.spec.replicas`,
 * `.status.conditions[0].type`, `.items[*].name`, `.status.conditions[?(@.type=="Ready")].status`,
 * and `\.`-escaped dots in keys (`.metadata.labels.app\.kubernetes\.io/name`). Returns every
 * match, in order.
 */

type Step = { key: string } | { index: number } | { all: true } | { filter: { path: string[]; op: '==' | '!='; value: unknown } };

/** Parses a path; throws Error with a reason on syntax it does not know. */
export function parseJsonPath(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const p = path.trim();
  while (i < p.length) {
    const c = p[i]!;
    if (c === '.') {
      i++;
      let key = '';
      while (i < p.length && p[i] !== '.' && p[i] !== '[') {
        if (p[i] === '\\' && i + 1 < p.length) {
          key += p[i + 1];
          i += 2;
        } else key += p[i++];
      }
      if (key) steps.push({ key });
    } else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed [ in ${path}`);
      const inner = p.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else {
        const m = /^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)\)$/.exec(inner);
        if (!m) throw new Error(`unsupported expression [${inner}] in ${path}`);
        const raw = m[3]!.trim();
        let value: unknown = raw;
        if (/^".*"$|^'.*'$/.test(raw)) value = raw.slice(1, -1);
        else if (raw === 'true' || raw === 'false') value = raw === 'true';
        else if (!Number.isNaN(Number(raw))) value = Number(raw);
        steps.push({ filter: { path: m[1]!.slice(1).split('.'), op: m[2] as '==' | '!=', value } });
      }
    } else {
      throw new Error(`unexpected "${c}" in ${path}`);
    }
  }
  return steps;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('key' in s) {
        if (isObject(v) && s.key in v) next.push(v[s.key]);
      } else if ('index' in s) {
        if (Array.isArray(v)) {
          const x = v[s.index < 0 ? v.length + s.index : s.index];
          if (x !== undefined) next.push(x);
        }
      } else if ('all' in s) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: unknown = item;
          for (const k of s.filter.path) x = isObject(x) ? x[k] : undefined;
          if ((x === s.filter.value) === (s.filter.op === '==')) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}
