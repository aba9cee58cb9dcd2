import { parseQuantity } from '../scheduler/quantity.js';

/**
 * Quantities for quotas, limit ranges and volume sizes: parsed to plain numbers (cores for cpu,
 * bytes for memory and storage) and printed back the way upstream's canonical form does
 * (`1Gi`, `500m`, `2`), binary when the inputs were binary.
 */

export { parseQuantity };

/** Upstream's message for a malformed quantity (one {@link parseQuantity} refuses); undefined when `v` is a valid one. */
export function quantityError(v: unknown): string | undefined {
  if (parseQuantity(v) !== undefined) return undefined;
  return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
}

/** Whether a quantity was written with a binary suffix (`Ki`…`Ei`). */
export function isBinary(v: unknown): boolean {
  return typeof v === 'string' && /[KMGTPE]i$/.test(v.trim());
}

const BINARY = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL = ['k', 'M', 'G', 'T', 'P', 'E'];

/**
 * A number as a canonical quantity: `binary` picks the largest `Ki`…`Ei` suffix that divides it
 * exactly, else the largest decimal one; fractions print in milli-units (`250m`).
 *
 * @example formatQuantity(2 ** 30, true) === '1Gi'; formatQuantity(0.5) === '500m'
 */
export function formatQuantity(n: number, binary = false): string {
  if (n === 0) return '0';
  if (!Number.isInteger(n)) {
    const milli = Math.round(n * 1000);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  if (binary) {
    for (let i = BINARY.length; i >= 1; i--) {
      const unit = 1024 ** i;
      if (n % unit === 0) return `${n / unit}${BINARY[i - 1]}`;
    }
    return String(n);
  }
  for (let i = DECIMAL.length; i >= 1; i--) {
    const unit = 1000 ** i;
    if (n % unit === 0) return `${n / unit}${DECIMAL[i - 1]}`;
  }
  return String(n);
}

/** A list of named quantities (`{cpu: 0.5, memory: 134217728}`) and which were written binary. */
export interface Amounts {
  values: Record<string, number>;
  binary: Set<string>;
}

export function emptyAmounts(): Amounts {
  return { values: {}, binary: new Set() };
}

/** Adds `raw` (a map of quantity strings) into `into` under `prefix + key`. */
export function addRaw(into: Amounts, raw: unknown, prefix = '', only?: (key: string) => boolean): void {
  if (!raw || typeof raw !== 'object') return;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const n = parseQuantity(v);
    const key = prefix + k;
    if (n === undefined || (only && !only(key))) continue;
    into.values[key] = (into.values[key] ?? 0) + n;
    if (isBinary(v)) into.binary.add(key);
  }
}

export function addAmounts(into: Amounts, more: Amounts): void {
  for (const [k, v] of Object.entries(more.values)) into.values[k] = (into.values[k] ?? 0) + v;
  for (const k of more.binary) into.binary.add(k);
}

export function formatAmount(a: Amounts, key: string): string {
  return formatQuantity(a.values[key] ?? 0, a.binary.has(key));
}
