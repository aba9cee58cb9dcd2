import { formatIPv6, ipv4Bytes, ipv6Bytes } from './ip.js';

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

interface RRBase {
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

const TYPE_NAMES = new Map<number, KnownType>(Object.entries(TYPE).filter(([k]) => k !== 'OPT' && k !== 'ANY').map(([k, v]) => [v, k as KnownType]));

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

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  private buf = Buffer.alloc(512);
  pos = 0;
  /** Lower-cased name suffix → offset of its first label, for compression. */
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.pos + n > 65535) throw new RangeError('DNS message over 65,535 bytes');
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.min(65535, Math.max(this.buf.length * 2, this.pos + n)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.pos++);
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }
  name(name: string, compress: boolean): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => labelToText(l).toLowerCase())
        .join('.');
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.pos < 0x3fff && !this.names.has(key)) this.names.set(key, this.pos);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export function encodeMessage(m: DnsMessage): Buffer {
  const w = new Writer();
  const rcode = m.rcode & 0xf;
  const flags =
    (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x400 : 0) | (m.tc ? 0x200 : 0) | (m.rd ? 0x100 : 0) | (m.ra ? 0x80 : 0) | (m.ad ? 0x20 : 0) | (m.cd ? 0x10 : 0) | rcode;
  w.u16(m.id);
  w.u16(flags);
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length + (m.edns ? 1 : 0));
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, rr);
  if (m.edns) {
    const e = m.edns;
    w.u8(0); // root owner name
    w.u16(TYPE.OPT);
    w.u16(e.udpSize);
    w.u8(Math.max(e.extendedRcode, m.rcode >> 4));
    w.u8(e.version);
    w.u16(e.flags);
    w.u16(e.options.length);
    w.bytes(e.options);
  } else if (m.rcode > 15) {
    throw new RangeError(`RCODE ${m.rcode} needs EDNS`);
  }
  return w.done();
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(typeCode(rr));
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.pos;
  w.u16(0);
  const start = w.pos;
  switch (rr.type) {
    case 'A': {
      const b = ipv4Bytes(rr.data);
      if (!b) throw new RangeError(`A record ${rr.name}: ${JSON.stringify(rr.data)} is not an IPv4 address`);
      w.bytes(b);
      break;
    }
    case 'AAAA': {
      const b = ipv6Bytes(rr.data);
      if (!b) throw new RangeError(`AAAA record ${rr.name}: ${JSON.stringify(rr.data)} is not an IPv6 address`);
      w.bytes(b);
      break;
    }
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(rr.data, true);
      break;
    case 'SRV':
      w.u16(rr.data.priority);
      w.u16(rr.data.weight);
      w.u16(rr.data.port);
      w.name(rr.data.target, false);
      break;
    case 'TXT':
      for (const s of rr.data.length ? rr.data : ['']) {
        const b = Buffer.from(s, 'latin1');
        if (b.length > 255) throw new RangeError(`TXT string over 255 bytes in ${rr.name}`);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case 'SOA':
      w.name(rr.data.mname, true);
      w.name(rr.data.rname, true);
      for (const v of [rr.data.serial, rr.data.refresh, rr.data.retry, rr.data.expire, rr.data.minimum]) w.u32(v);
      break;
    case 'RAW':
      w.bytes(rr.data);
      break;
  }
  w.patchU16(lenAt, w.pos - start);
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new DnsFormatError(`truncated ${what} at byte ${this.pos}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A possibly compressed name; `this.pos` moves past its in-place part. */
  name(): string {
    const labels: string[] = [];
    let wire = 1;
    let p = this.pos;
    let jumped = false;
    // Every pointer must go strictly backwards from the label that holds it: no loops.
    let limit = p;
    for (;;) {
      if (p >= this.buf.length) throw new DnsFormatError(`truncated name at byte ${p}`);
      const len = this.buf[p]!;
      if ((len & 0xc0) === 0xc0) {
        if (p + 1 >= this.buf.length) throw new DnsFormatError(`truncated name pointer at byte ${p}`);
        const target = ((len & 0x3f) << 8) | this.buf[p + 1]!;
        if (target >= limit) throw new DnsFormatError(`name pointer at byte ${p} does not point backwards`);
        if (!jumped) this.pos = p + 2;
        jumped = true;
        p = limit = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)} at byte ${p}`);
      if (len === 0) {
        if (!jumped) this.pos = p + 1;
        return labels.join('.');
      }
      if (p + 1 + len > this.buf.length) throw new DnsFormatError(`truncated label at byte ${p}`);
      wire += len + 1;
      if (wire > 255) throw new DnsFormatError('name over 255 bytes');
      labels.push(labelToText(this.buf.subarray(p + 1, p + 1 + len)));
      p += 1 + len;
    }
  }
}

export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16('header');
  const flags = r.u16('header');
  const counts = [r.u16('header'), r.u16('header'), r.u16('header'), r.u16('header')] as const;
  const m: DnsMessage = {
    id,
    qr: Boolean(flags & 0x8000),
    opcode: (flags >> 11) & 0xf,
    aa: Boolean(flags & 0x400),
    tc: Boolean(flags & 0x200),
    rd: Boolean(flags & 0x100),
    ra: Boolean(flags & 0x80),
    ad: Boolean(flags & 0x20),
    cd: Boolean(flags & 0x10),
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  for (let i = 0; i < counts[0]; i++) {
    const name = r.name();
    m.questions.push({ name, type: r.u16('question'), class: r.u16('question') });
  }
  const sections = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const rec = readRecord(r);
      if ('edns' in rec) {
        if (s !== 2) throw new DnsFormatError('OPT record outside the additional section');
        if (m.edns) throw new DnsFormatError('more than one OPT record');
        m.edns = rec.edns;
        m.rcode |= rec.edns.extendedRcode << 4;
      } else sections[s]!.push(rec);
    }
  }
  if (r.pos !== buf.length) throw new DnsFormatError(`${buf.length - r.pos} trailing bytes after the message`);
  return m;
}

function readRecord(r: Reader): ResourceRecord | { edns: Edns } {
  const name = r.name();
  const type = r.u16('record');
  const cls = r.u16('record');
  const ttl = r.u32('record');
  const len = r.u16('record');
  r.need(len, 'record data');
  const end = r.pos + len;
  const base = { name, class: cls, ttl };
  const what = `${typeName(type)} data of ${name || '.'}`;
  let rr: ResourceRecord | { edns: Edns };
  switch (type) {
    case TYPE.OPT:
      if (name !== '') throw new DnsFormatError('OPT record with a non-root owner');
      rr = { edns: { udpSize: cls, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, flags: ttl & 0xffff, options: Buffer.from(r.bytes(len, what)) } };
      break;
    case TYPE.A:
      if (len !== 4) throw new DnsFormatError(`${what}: ${len} bytes, want 4`);
      rr = { ...base, type: 'A', data: [...r.bytes(4, what)].join('.') };
      break;
    case TYPE.AAAA:
      if (len !== 16) throw new DnsFormatError(`${what}: ${len} bytes, want 16`);
      rr = { ...base, type: 'AAAA', data: formatIPv6(r.bytes(16, what)) };
      break;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      rr = { ...base, type: TYPE_NAMES.get(type) as 'NS' | 'CNAME' | 'PTR', data: r.name() };
      break;
    case TYPE.SRV:
      rr = { ...base, type: 'SRV', data: { priority: r.u16(what), weight: r.u16(what), port: r.u16(what), target: r.name() } };
      break;
    case TYPE.TXT: {
      const texts: string[] = [];
      while (r.pos < end) {
        const n = r.u8(what);
        if (r.pos + n > end) throw new DnsFormatError(`${what}: string overruns the record`);
        texts.push(r.bytes(n, what).toString('latin1'));
      }
      rr = { ...base, type: 'TXT', data: texts };
      break;
    }
    case TYPE.SOA:
      rr = { ...base, type: 'SOA', data: { mname: r.name(), rname: r.name(), serial: r.u32(what), refresh: r.u32(what), retry: r.u32(what), expire: r.u32(what), minimum: r.u32(what) } };
      break;
    default:
      rr = { ...base, type: 'RAW', code: type, data: Buffer.from(r.bytes(len, what)) };
  }
  if (r.pos !== end) throw new DnsFormatError(`${what}: record length ${len} does not match its content`);
  return rr;
}

/**
 * The header fields of a packet too broken to decode, if at least the 12-byte header is
 * there (to answer FORMERR with the right id), else undefined.
 */
export function peekHeader(buf: Buffer): { id: number; qr: boolean; opcode: number; rd: boolean } | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  return { id: buf.readUInt16BE(0), qr: Boolean(flags & 0x8000), opcode: (flags >> 11) & 0xf, rd: Boolean(flags & 0x100) };
}

/**
 * The answer cut down for a UDP client whose limit it exceeds (RFC 1035 §4.2.1, RFC 6891
 * §7): header with TC set, the question and the OPT record, no records. A response that
 * cannot be decoded becomes its bare header with TC and zero counts.
 */
export function truncateResponse(buf: Buffer): Buffer {
  try {
    const m = decodeMessage(buf);
    return encodeMessage({ ...m, tc: true, answers: [], authorities: [], additionals: [] });
  } catch {
    const h = Buffer.alloc(12);
    buf.copy(h, 0, 0, Math.min(4, buf.length));
    h.writeUInt16BE(h.readUInt16BE(2) | 0x200, 2);
    return h;
  }
}
