/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Above this many ranges the header is ignored (Swift's limit). */
export const MAX_RANGES = 50;

/**
 * Parses a `Range: bytes=...` header against an object size, as Swift's swob does:
 * - undefined: no usable header (absent, malformed, too many ranges): send the whole object;
 * - 'unsatisfiable': syntactically fine but no range overlaps the object: 416;
 * - otherwise the satisfiable ranges, clipped to the object, in request order.
 *
 * @example parseRange('bytes=0-9,-5', 100) // → [{start:0,end:9},{start:95,end:99}]
 */
export function parseRange(header: string | undefined, size: number): ByteRange[] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return undefined;
  const specs = m[1]!.split(',').map((s) => s.trim());
  if (specs.length > MAX_RANGES) return undefined;
  const out: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return undefined;
    if (r[1] === '') {
      const n = Number(r[2]);
      if (n === 0 || size === 0) continue;
      out.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    if (r[2] !== '' && Number(r[2]) < start) return undefined;
    if (start >= size) continue;
    out.push({ start, end: r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1) });
  }
  if (out.length === 0) return size === 0 ? undefined : 'unsatisfiable';
  return out;
}
