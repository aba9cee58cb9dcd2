import type { TableColumn } from './index.js';

/**
 * Cell formatting shared by the printers. Objects are plain JSON, so every field is read
 * defensively: a missing or mistyped field prints as kubectl would print a zero value.
 */

export type J = Record<string, unknown>;

export function obj(v: unknown): J {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objs(v: unknown): J[] {
  return arr(v).map(obj);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** `s`, or `fallback` when empty (`<none>`, `<unknown>`…). */
export function orNone(s: string, fallback = '<none>'): string {
  return s === '' ? fallback : s;
}

/**
 * A duration as kubectl's HumanDuration prints it: `45s` (under 2 minutes), `5m30s` (under 10
 * minutes), `42m` (under 3 hours), `5h20m` (under 8 hours), `30h` (under 2 days), `3d4h` (under
 * 8 days), `120d` (under 2 years), `3y45d` (under 8 years), then `9y`. Up to one second in the
 * future counts as now (`0s`); further is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** Time since an RFC 3339 timestamp (`<unknown>` when absent or unparsable). */
export function since(fromIso: unknown, now: number): string {
  if (typeof fromIso !== 'string' || fromIso === '') return '<unknown>';
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

/** Labels as `k=v,k2=v2` sorted by key, or `<none>` (kubectl's FormatLabels). */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(obj(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${str(v)}`).join(',') : '<none>';
}

/** `host:port`, bracketing IPv6 hosts. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Up to `max` items joined by commas, then ` + N more...`. */
export function firstOf(items: string[], max = 3): string {
  if (items.length <= max) return items.join(',');
  return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
}

export function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

export const NAME_COLUMN = column('Name', 'string', 'Name must be unique within a namespace. It identifies the object and cannot be updated.', 0, 'name');
export const AGE_COLUMN = column('Age', 'string', 'Time since the object was created (metadata.creationTimestamp).');

/** True when `conditions` has one of `type` with status "True". */
export function hasCondition(conditions: unknown, type: string): boolean {
  return objs(conditions).some((c) => c.type === type && c.status === 'True');
}

/** `Containers`, `Images` cells of a pod template: names and images joined by commas. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = objs(obj(podSpec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}
