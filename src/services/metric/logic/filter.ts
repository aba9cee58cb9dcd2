import { invalidInput } from './errors.js';
import { timestampMs } from './timespec.js';

/**
 * Gnocchi's resource search filter: a JSON tree of `{"<op>": {"<attr>": <value>}}` leaves
 * (`=`/`==`/`eq`, `!=`/`ne`, `<`/`lt`, `<=`/`le`, `>`/`gt`, `>=`/`ge`, `in`, `like`) joined by
 * `{"and": [...]}`, `{"or": [...]}` and `{"not": {...}}`; or the same as a string
 * (`project_id=abc and (flavor_id!="1" or ended_at=null)`), which `parseQuery` turns into JSON.
 */
export type Row = Record<string, unknown>;
export type Predicate = (row: Row) => boolean;

const OPS: Record<string, string> = {
  '=': 'eq', '==': 'eq', eq: 'eq',
  '!=': 'ne', '≠': 'ne', ne: 'ne',
  '<': 'lt', lt: 'lt', '<=': 'le', '≤': 'le', le: 'le',
  '>': 'gt', gt: 'gt', '>=': 'ge', '≥': 'ge', ge: 'ge',
  in: 'in', like: 'like',
};
const BOOL_OPS: Record<string, string> = { and: 'and', '∧': 'and', or: 'or', '∨': 'or', not: 'not' };

/** Attributes compared as times (values may be ISO strings or epoch seconds). */
const TIME_ATTRS = new Set(['started_at', 'ended_at', 'revision_start', 'revision_end']);

/**
 * Compiles a JSON filter for rows whose keys are the wire attribute names. `known` lists
 * the attributes a filter may name; any other is a 400, as in Gnocchi.
 */
export function compileFilter(f: unknown, known: Set<string>, now: number, path = 'filter'): Predicate {
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalidInput(`expected a dictionary @ ${path}`);
  const entries = Object.entries(f as Record<string, unknown>);
  if (entries.length !== 1) throw invalidInput(`a filter has exactly one operator @ ${path}`);
  const [rawOp, arg] = entries[0]!;
  const op = rawOp.toLowerCase();
  const bop = BOOL_OPS[op];
  if (bop === 'and' || bop === 'or') {
    if (!Array.isArray(arg) || arg.length === 0) throw invalidInput(`expected a non-empty list @ ${path}['${rawOp}']`);
    const parts = arg.map((x, i) => compileFilter(x, known, now, `${path}['${rawOp}'][${i}]`));
    return bop === 'and' ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r));
  }
  if (bop === 'not') {
    const inner = compileFilter(arg, known, now, `${path}['${rawOp}']`);
    return (r) => !inner(r);
  }
  const cmp = OPS[op];
  if (!cmp) throw invalidInput(`extra keys not allowed @ ${path}['${rawOp}']: unknown operator`);
  if (!arg || typeof arg !== 'object' || Array.isArray(arg) || Object.keys(arg).length !== 1) throw invalidInput(`expected {"<attribute>": <value>} @ ${path}['${rawOp}']`);
  const [attr, value] = Object.entries(arg as Record<string, unknown>)[0]!;
  if (!known.has(attr)) throw invalidInput(`Unknown attribute ${attr} @ ${path}['${rawOp}']`);
  const norm = (v: unknown) => normalize(attr, v, now);
  if (cmp === 'in') {
    if (!Array.isArray(value)) throw invalidInput(`expected a list @ ${path}['${rawOp}']['${attr}']`);
    const set = value.map(norm);
    return (r) => set.some((v) => eq(r[attr], v));
  }
  if (cmp === 'like') {
    if (typeof value !== 'string') throw invalidInput(`expected str @ ${path}['${rawOp}']['${attr}']`);
    const re = new RegExp('^' + value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.') + '$', 's');
    return (r) => typeof r[attr] === 'string' && re.test(r[attr] as string);
  }
  const want = norm(value);
  switch (cmp) {
    case 'eq':
      return (r) => eq(r[attr], want);
    case 'ne':
      return (r) => !eq(r[attr], want);
    default:
      return (r) => order(r[attr], want, cmp);
  }
}

function normalize(attr: string, v: unknown, now: number): unknown {
  if (v !== null && TIME_ATTRS.has(attr)) {
    const t = timestampMs(v, now);
    if (t === undefined) throw invalidInput(`Invalid timestamp ${JSON.stringify(v)} for ${attr}`);
    return t;
  }
  if (attr === 'id' && typeof v === 'string' && /^[0-9a-f]{32}$/i.test(v)) return v.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5').toLowerCase();
  return v;
}

function eq(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b))) return a === Number(b);
  if (typeof a === 'string' && typeof b === 'number') return a === String(b);
  return a === b;
}

function order(a: unknown, b: unknown, cmp: string): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  let x = a as number | string;
  let y = b as number | string;
  if (typeof x === 'number' && typeof y === 'string' && !Number.isNaN(Number(y))) y = Number(y);
  if (typeof x !== typeof y) {
    x = String(x);
    y = String(y);
  }
  switch (cmp) {
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    case 'gt':
      return x > y;
    default:
      return x >= y;
  }
}

// --- the string form ------------------------------------------------------------------------

type Tok = { t: 'word' | 'str' | 'op' | 'punct'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw invalidInput(`Invalid filter: unterminated string at ${i}`);
      out.push({ t: 'str', v: s.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if ('()[],'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (['==', '!=', '<=', '>='].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('=<>≠≤≥∧∨'.includes(c)) {
      out.push({ t: c === '∧' || c === '∨' ? 'word' : 'op', v: c });
      i++;
      continue;
    }
    const m = /^[^\s()[\],=<>!≠≤≥∧∨"']+/.exec(s.slice(i));
    if (!m) throw invalidInput(`Invalid filter: unexpected ${JSON.stringify(c)} at ${i}`);
    out.push({ t: 'word', v: m[0] });
    i += m[0].length;
  }
  return out;
}

/** Turns Gnocchi's query string into the JSON filter. */
export function parseQuery(s: string): unknown {
  const toks = tokenize(s);
  let pos = 0;
  const peek = () => toks[pos];
  const isWord = (w: string[]) => {
    const t = peek();
    return !!t && t.t === 'word' && w.includes(t.v.toLowerCase());
  };
  const expect = (v: string) => {
    const t = toks[pos++];
    if (!t || t.v !== v) throw invalidInput(`Invalid filter: expected ${v}${t ? ` near ${JSON.stringify(t.v)}` : ' at the end'}`);
  };
  const value = (): unknown => {
    const t = toks[pos++];
    if (!t || t.t === 'op' || (t.t === 'punct' && t.v !== '(' && t.v !== '[')) throw invalidInput('Invalid filter: a value is missing');
    if (t.t === 'str') return t.v;
    if (t.t === 'punct') {
      const close = t.v === '(' ? ')' : ']';
      const list: unknown[] = [];
      while (peek() && peek()!.v !== close) {
        list.push(value());
        if (peek()?.v === ',') pos++;
      }
      expect(close);
      return list;
    }
    const w = t.v;
    if (w === 'null' || w === 'None') return null;
    if (w === 'true' || w === 'True') return true;
    if (w === 'false' || w === 'False') return false;
    if (/^-?\d+(\.\d+)?$/.test(w)) return Number(w);
    return w;
  };
  const factor = (): unknown => {
    if (isWord(['not'])) {
      pos++;
      return { not: factor() };
    }
    if (peek()?.v === '(') {
      pos++;
      const e = expr();
      expect(')');
      return e;
    }
    const a = toks[pos++];
    if (!a || a.t !== 'word') throw invalidInput('Invalid filter: an attribute name is missing');
    const o = toks[pos++];
    const op = o && (o.t === 'op' || (o.t === 'word' && OPS[o.v.toLowerCase()])) ? o.v.toLowerCase() : undefined;
    if (!op || !OPS[op]) throw invalidInput(`Invalid filter: an operator is missing after ${a.v}`);
    return { [op]: { [a.v]: value() } };
  };
  const term = (): unknown => {
    const parts = [factor()];
    while (isWord(['and', '∧'])) {
      pos++;
      parts.push(factor());
    }
    return parts.length === 1 ? parts[0] : { and: parts };
  };
  const expr = (): unknown => {
    const parts = [term()];
    while (isWord(['or', '∨'])) {
      pos++;
      parts.push(term());
    }
    return parts.length === 1 ? parts[0] : { or: parts };
  };
  if (!toks.length) throw invalidInput('Invalid filter: empty');
  const out = expr();
  if (pos !== toks.length) throw invalidInput(`Invalid filter: unexpected ${JSON.stringify(toks[pos]!.v)}`);
  return out;
}
