import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, frame } from './framing.js';
import { canonicalIp, formatIPv6, ipv6Bytes, reverseName, undashIp } from './ip.js';
import { canonicalName, decodeMessage, DnsFormatError, encodeMessage, nameToLabels, truncateResponse, TYPE, type DnsMessage } from './wire.js';

function message(over: Partial<DnsMessage> = {}): DnsMessage {
  return { id: 0x1234, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, ad: false, cd: false, rcode: 0, questions: [], answers: [], authorities: [], additionals: [], ...over };
}

const full = message({
  questions: [{ name: 'web.default.svc.cluster.local', type: TYPE.A, class: 1 }],
  answers: [
    { name: 'web.default.svc.cluster.local', type: 'A', class: 1, ttl: 5, data: '10.43.0.20' },
    { name: 'web.default.svc.cluster.local', type: 'AAAA', class: 1, ttl: 5, data: 'fd00::20' },
    { name: 'ext.default.svc.cluster.local', type: 'CNAME', class: 1, ttl: 5, data: 'example.com' },
    { name: '20.0.43.10.in-addr.arpa', type: 'PTR', class: 1, ttl: 5, data: 'web.default.svc.cluster.local' },
    { name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', class: 1, ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } },
    { name: 'dns-version.cluster.local', type: 'TXT', class: 1, ttl: 5, data: ['1.1.0', 'second string'] },
    { name: 'cluster.local', type: 'NS', class: 1, ttl: 5, data: 'ns.dns.cluster.local' },
    { name: 'x.cluster.local', type: 'RAW', code: 99, class: 1, ttl: 5, data: Buffer.from([1, 2, 3]) },
  ],
  authorities: [
    { name: 'cluster.local', type: 'SOA', class: 1, ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 4000000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } },
  ],
  additionals: [{ name: 'web.default.svc.cluster.local', type: 'A', class: 1, ttl: 5, data: '10.43.0.20' }],
  edns: { udpSize: 1232, extendedRcode: 0, version: 0, flags: 0x8000, options: Buffer.from([0, 10, 0, 2, 0xab, 0xcd]) },
});

test('wire: every record type, the header bits and EDNS round-trip', () => {
  const bytes = encodeMessage(full);
  assert.deepEqual(decodeMessage(bytes), full);
  const bits = message({ qr: false, opcode: 2, aa: false, tc: true, rd: false, ra: false, ad: true, cd: true, rcode: 5 });
  assert.deepEqual(decodeMessage(encodeMessage(bits)), bits);
  // Extended RCODE (BADVERS = 16) travels in the OPT record.
  const badvers = message({ rcode: 16, edns: { udpSize: 512, extendedRcode: 0, version: 0, flags: 0, options: Buffer.alloc(0) } });
  const back = decodeMessage(encodeMessage(badvers));
  assert.equal(back.rcode, 16);
  assert.throws(() => encodeMessage(message({ rcode: 16 })), RangeError);
});

test('wire: names are compressed on output, except SRV targets', () => {
  const bytes = encodeMessage(full);
  // Uncompressed, the 20+ occurrences of cluster.local alone would take over 300 bytes.
  assert.ok(bytes.length < 420, `compressed size ${bytes.length}`);
  const srvAt = bytes.indexOf(Buffer.from([0, 0, 0, 100, 0, 80]));
  assert.ok(srvAt > 0);
  const target = Buffer.from('\x03web\x07default\x03svc\x07cluster\x05local\x00', 'latin1');
  assert.equal(bytes.subarray(srvAt + 6, srvAt + 6 + target.length).toString('latin1'), target.toString('latin1'));
  // The question name is written once; later owners of the same name are 2-byte pointers.
  const one = encodeMessage(message({ questions: [{ name: 'a.b.c', type: 1, class: 1 }], answers: [{ name: 'A.B.C', type: 'A', class: 1, ttl: 1, data: '1.2.3.4' }] }));
  assert.equal(one.length, 12 + 7 + 4 + 2 + 10 + 4);
  assert.equal(one.readUInt16BE(12 + 7 + 4), 0xc000 | 12);
});

test('wire: decodes a packet as dig sends it', () => {
  // dig +noedns web.default.svc.cluster.local A, id 0xbeef, RD.
  const hex = 'beef01000001000000000000' + '03776562' + '0764656661756c74' + '03737663' + '07636c7573746572' + '056c6f63616c' + '00' + '00010001';
  const m = decodeMessage(Buffer.from(hex, 'hex'));
  assert.equal(m.id, 0xbeef);
  assert.equal(m.rd, true);
  assert.deepEqual(m.questions, [{ name: 'web.default.svc.cluster.local', type: 1, class: 1 }]);
});

test('wire: malformed packets throw DnsFormatError', () => {
  const head = (qd: number) => Buffer.from([0, 1, 1, 0, 0, qd, 0, 0, 0, 0, 0, 0]);
  const cases: [string, Buffer][] = [
    ['short header', Buffer.from([1, 2, 3])],
    ['missing question', head(1)],
    ['self pointer', Buffer.concat([head(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
    ['forward pointer', Buffer.concat([head(1), Buffer.from([0xc0, 14, 0, 1, 0, 1, 0])])],
    ['pointer loop', Buffer.concat([head(1), Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1])])],
    ['label type 0x40', Buffer.concat([head(1), Buffer.from([0x41, 0, 0, 1, 0, 1])])],
    ['truncated label', Buffer.concat([head(1), Buffer.from([5, 0x61, 0x62])])],
    ['trailing bytes', Buffer.concat([head(0), Buffer.from([0])])],
    ['A record of 3 bytes', Buffer.concat([Buffer.from([0, 1, 0x81, 0, 0, 0, 0, 1, 0, 0, 0, 0]), Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 1, 2, 3])])],
    ['OPT in answers', Buffer.concat([Buffer.from([0, 1, 0x81, 0, 0, 0, 0, 1, 0, 0, 0, 0]), Buffer.from([0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0])])],
  ];
  for (const [what, bytes] of cases) assert.throws(() => decodeMessage(bytes), DnsFormatError, what);
  // Names over 255 bytes: 5 labels of 63.
  const long = Buffer.concat([head(1), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
  assert.throws(() => decodeMessage(long), DnsFormatError);
});

test('wire: odd label bytes are escaped and survive a round trip', () => {
  const raw = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([4, 0x61, 0x2e, 0x5c, 0x00, 1, 0x41, 0]), Buffer.from([0, 1, 0, 1])]);
  const m = decodeMessage(raw);
  assert.equal(m.questions[0]!.name, 'a\\.\\\\\\000.A');
  assert.deepEqual(encodeMessage(m), raw);
  assert.equal(canonicalName('Web.Default.SVC.cluster.local.'), 'web.default.svc.cluster.local');
  assert.throws(() => nameToLabels('a..b'), RangeError);
  assert.throws(() => nameToLabels(`${'x'.repeat(64)}.local`), RangeError);
});

test('wire: truncation keeps header, question and OPT with TC set', () => {
  const t = decodeMessage(truncateResponse(encodeMessage(full)));
  assert.equal(t.tc, true);
  assert.equal(t.id, full.id);
  assert.deepEqual(t.questions, full.questions);
  assert.equal(t.answers.length + t.authorities.length + t.additionals.length, 0);
  assert.equal(t.edns?.udpSize, 1232);
  const broken = truncateResponse(Buffer.from([0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 1]));
  assert.equal(broken.length, 12);
  assert.equal(broken.readUInt16BE(0), 0xabcd);
  assert.ok(broken.readUInt16BE(2) & 0x200);
});

test('wire: random and mutilated packets never throw anything but DnsFormatError', () => {
  const valid = encodeMessage(full);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 5000; i++) {
    let bytes: Buffer;
    if (i % 3 === 0) bytes = Buffer.from(Array.from({ length: Math.floor(Math.random() * 80) }, () => Math.floor(Math.random() * 256)));
    else if (i % 3 === 1) bytes = valid.subarray(0, Math.floor(Math.random() * valid.length));
    else {
      bytes = Buffer.from(valid);
      for (let k = 0; k < 1 + (i % 5); k++) bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256);
    }
    let m: DnsMessage;
    try {
      m = decodeMessage(bytes);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      rejected++;
      continue;
    }
    decoded++;
    // Whatever decodes re-encodes to the same content (compression may differ).
    const again = decodeMessage(encodeMessage(m));
    assert.deepEqual(again.questions, m.questions);
    assert.deepEqual(again.answers, m.answers);
  }
  assert.equal(decoded + rejected, 5000);
  assert.ok(rejected > 1000);
});

test('framing: messages split and joined across chunks', () => {
  const a = Buffer.from('first message');
  const b = Buffer.alloc(300, 7);
  const stream = Buffer.concat([frame(a), frame(b), frame(Buffer.alloc(0))]);
  const r = new FrameReader();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 5) out.push(...r.push(stream.subarray(i, i + 5)));
  assert.deepEqual(out, [a, b, Buffer.alloc(0)]);
  assert.equal(r.buffered, 0);
  assert.deepEqual(new FrameReader().push(Buffer.concat([frame(a), frame(b).subarray(0, 10)])), [a]);
});

test('ip: reverse names, IPv6 text and dashed labels', () => {
  assert.equal(reverseName('10.43.0.1'), '1.0.43.10.in-addr.arpa');
  assert.equal(reverseName('fd00::1'), `1.${'0.'.repeat(27)}0.0.d.f.ip6.arpa`);
  assert.equal(reverseName('nope'), undefined);
  assert.equal(formatIPv6(ipv6Bytes('fd00:0:0:1:0:0:0:5')!), 'fd00:0:0:1::5');
  assert.equal(formatIPv6(ipv6Bytes('::ffff:1.2.3.4')!), '::ffff:102:304');
  assert.equal(canonicalIp('FD00:0::1'), 'fd00::1');
  assert.deepEqual(undashIp('10-42-0-5'), { ip: '10.42.0.5', family: 4 });
  assert.deepEqual(undashIp('fd00--5'), { ip: 'fd00::5', family: 6 });
  assert.equal(undashIp('10-42-0'), undefined);
  assert.equal(undashIp('web'), undefined);
});
