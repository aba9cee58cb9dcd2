import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, WireReader, WireType } from './wire.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('varints: one byte, multi-byte, 64-bit maximum', () => {
  assert.equal(new WireReader(bytes(0x00)).varint(), 0n);
  assert.equal(new WireReader(bytes(0x96, 0x01)).varint(), 150n);
  assert.equal(new WireReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).varint(), 2n ** 64n - 1n);
});

test('int32 and int64: negative values arrive as 10-byte two\'s complement', () => {
  const minusOne = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
  assert.equal(new WireReader(minusOne).int32(), -1);
  assert.equal(new WireReader(minusOne).int64(), -1);
  // -2147483648 as int32
  assert.equal(new WireReader(bytes(0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01)).int32(), -2147483648);
  assert.equal(new WireReader(bytes(0xac, 0x02)).int64(), 300);
  assert.equal(new WireReader(bytes(0x01)).bool(), true);
  assert.equal(new WireReader(bytes(0x00)).bool(), false);
});

test('tags carry field number and wire type', () => {
  const r = new WireReader(bytes(0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0xa2, 0x06, 0x00));
  assert.deepEqual(r.tag(), { field: 1, wireType: WireType.Varint });
  assert.equal(r.varint(), 150n);
  assert.deepEqual(r.tag(), { field: 2, wireType: WireType.Len });
  assert.equal(r.string(), 'hi');
  assert.deepEqual(r.tag(), { field: 100, wireType: WireType.Len });
  assert.deepEqual(r.bytes(), bytes());
  assert.ok(r.done());
});

test('fixed32 and fixed64 are little-endian and signed', () => {
  assert.equal(new WireReader(bytes(0x01, 0x00, 0x00, 0x00)).fixed32(), 1);
  assert.equal(new WireReader(bytes(0xfe, 0xff, 0xff, 0xff)).fixed32(), -2);
  assert.equal(new WireReader(bytes(0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)).fixed64(), 256);
});

test('skip passes over every wire type and lands on the next field', () => {
  const r = new WireReader(bytes(
    0x08, 0xac, 0x02, // 1: varint 300
    0x11, 1, 2, 3, 4, 5, 6, 7, 8, // 2: fixed64
    0x1a, 0x03, 0x61, 0x62, 0x63, // 3: "abc"
    0x25, 1, 2, 3, 4, // 4: fixed32
    0x28, 0x07, // 5: varint 7
  ));
  for (let i = 0; i < 4; i++) {
    const t = r.tag();
    r.skip(t.wireType);
  }
  assert.deepEqual(r.tag(), { field: 5, wireType: WireType.Varint });
  assert.equal(r.varint(), 7n);
  assert.ok(r.done());
});

test('malformed input throws WireError, never anything else', () => {
  const cases: [string, Uint8Array, (r: WireReader) => unknown][] = [
    ['truncated varint', bytes(0x80, 0x80), (r) => r.varint()],
    ['11-byte varint', bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), (r) => r.varint()],
    ['length past the end', bytes(0x05, 0x61), (r) => r.bytes()],
    ['huge length', bytes(0xff, 0xff, 0xff, 0xff, 0x0f), (r) => r.bytes()],
    ['truncated fixed32', bytes(0x01, 0x02), (r) => r.fixed32()],
    ['truncated fixed64', bytes(0x01), (r) => r.fixed64()],
    ['field number 0', bytes(0x02), (r) => r.tag()],
    ['wire type 7', bytes(0x0f), (r) => r.tag()],
    ['group start skipped', bytes(0x0b), (r) => r.skip(r.tag().wireType)],
    ['empty input', bytes(), (r) => r.tag()],
  ];
  for (const [name, input, op] of cases) {
    assert.throws(() => op(new WireReader(input)), WireError, name);
  }
});

test('bytes are views of the input, not copies', () => {
  const input = bytes(0x03, 0x0a, 0x0b, 0x0c, 0xff);
  const b = new WireReader(input).bytes();
  assert.deepEqual([...b], [0x0a, 0x0b, 0x0c]);
  assert.equal(b.buffer, input.buffer);
});
