import { ipv4Bytes, ipv6Bytes } from './ip.js';
import { TYPE, typeCode, nameToLabels, labelToText, type ResourceRecord, type DnsMessage } from './message.js';

/** DNS wire encoding (see message.ts for the format rules). */
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
