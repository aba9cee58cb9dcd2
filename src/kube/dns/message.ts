// NOTE: a compact RFC 1035 codec of our own instead of `dns-packet`: the project installs no
// new dependency without the lead, and cluster DNS needs only header, question, a handful of
// record types, name compression on output and EDNS0 (RFC 6891) passthrough.

/**
 * DNS wire format (RFC 1035 §4, RFC 2782 SRV, RFC 3596 AAAA, RFC 6891 EDNS0).
 *
 * Names are text without the trailing dot (the root is `''`); a label byte that is `.`, `\`
 * or not printable ASCII is escaped as `\.`, `\\` or `\DDD` (as `dig` prints them), so every
 * name decodes and encodes back to the same bytes. Comparisons are the caller's business
 * (DNS names are ASCII case-insensitive: use `canonicalName`).
 *
 * `decodeMessage` throws `DnsFormatError` for anything malformed (truncated sections, label
 * pointers that do not point backwards, labels over 63 bytes, names over 255 bytes, record
 * data that does not match its type, trailing bytes) and never anything else.
 * `encodeMessage` compresses owner names and the names inside NS/CNAME/PTR/SOA data (never
 * inside SRV, per RFC 2782) and throws `RangeError` for unencodable input (a label over 63
 * bytes, a message over 65,535 bytes).
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export const OPCODE_QUERY = 0;

export type KnownType = Exclude<keyof typeof TYPE, 'OPT' | 'ANY'>;

export interface Question {
  name: string;
  /** Numeric QTYPE (`TYPE.A`, …; any 16-bit value may arrive). */
  type: number;
  class: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface RRBase {
  name: string;
  class: number;
  ttl: number;
}

/** A resource record; types this codec does not know keep their data as raw bytes. */
export type ResourceRecord = RRBase &
  (
    | { type: 'A' | 'AAAA'; data: string }
    | { type: 'NS' | 'CNAME' | 'PTR'; data: string }
    | { type: 'SRV'; data: SrvData }
    /** Character strings as latin1 text (one char per byte: lossless). */
    | { type: 'TXT'; data: string[] }
    | { type: 'SOA'; data: SoaData }
    | { type: 'RAW'; code: number; data: Buffer }
  );

/** The EDNS0 OPT pseudo-record, kept apart from the additional section. */
export interface Edns {
  udpSize: number;
  /** Upper 8 bits of the 12-bit extended RCODE. */
  extendedRcode: number;
  version: number;
  /** The DO bit and the reserved Z bits (16 bits). */
  flags: number;
  /** The options, undecoded (passed through as received). */
  options: Buffer;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The full RCODE: values over 15 need EDNS (their upper bits travel in the OPT record). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
}

export const TYPE_NAMES = new Map<number, KnownType>(Object.entries(TYPE).filter(([k]) => k !== 'OPT' && k !== 'ANY').map(([k, v]) => [v, k as KnownType]));

export function typeCode(rr: ResourceRecord): number {
  return rr.type === 'RAW' ? rr.code : TYPE[rr.type];
}

/** The mnemonic of a numeric type (`1` → `A`), or `TYPE<n>`. */
export function typeName(code: number): string {
  return TYPE_NAMES.get(code) ?? (code === TYPE.OPT ? 'OPT' : code === TYPE.ANY ? 'ANY' : `TYPE${code}`);
}

/** Lower-case, no trailing dot: the form to compare and index names by. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return n.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Splits escaped text into label byte strings; throws RangeError for bad escapes or lengths. */
export function nameToLabels(name: string): Buffer[] {
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '') return [];
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      pushLabel();
    } else if (c === 0x5c) {
      const rest = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(rest)) {
        const v = Number(rest);
        if (v > 255) throw new RangeError(`bad escape \\${rest} in name ${JSON.stringify(name)}`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(++i) & 0xff);
      } else throw new RangeError(`dangling backslash in name ${JSON.stringify(name)}`);
    } else {
      if (c > 0xff) throw new RangeError(`non-ASCII character in name ${JSON.stringify(name)}; use punycode`);
      cur.push(c);
    }
  }
  pushLabel();
  let wire = 1;
  for (const l of labels) wire += l.length + 1;
  if (wire > 255) throw new RangeError(`name over 255 bytes: ${name}`);
  return labels;

  function pushLabel(): void {
    if (cur.length === 0) throw new RangeError(`empty label in name ${JSON.stringify(name)}`);
    if (cur.length > 63) throw new RangeError(`label over 63 bytes in name ${JSON.stringify(name)}`);
    labels.push(Buffer.from(cur));
    cur = [];
  }
}

export function labelToText(label: Buffer): string {
  let s = '';
  for (const b of label) {
    if (b === 0x2e || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b <= 0x20 || b >= 0x7f) s += `\\${String(b).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}
