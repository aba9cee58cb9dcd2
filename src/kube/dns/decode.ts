import { formatIPv6 } from './ip.js';
import { TYPE, DnsFormatError, typeName, labelToText, TYPE_NAMES, type ResourceRecord, type Edns, type DnsMessage } from './message.js';
import { encodeMessage } from './encode.js';

/** DNS wire decoding (see message.ts for the format rules). */
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
