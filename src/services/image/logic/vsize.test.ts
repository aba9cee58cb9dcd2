import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerTap, HEADER_BYTES, virtualSize } from './vsize.js';

function qcow2(version: number, size: bigint): Buffer {
  const b = Buffer.alloc(64);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(version, 4);
  b.writeBigUInt64BE(size, 24);
  return b;
}

describe('virtualSize', () => {
  it('reads the qcow2 size (v2 and v3) and rejects other versions or magic', () => {
    assert.equal(virtualSize('qcow2', qcow2(2, 1073741824n), 200), 1073741824);
    assert.equal(virtualSize('qcow2', qcow2(3, 5n), 200), 5);
    assert.equal(virtualSize('qcow2', qcow2(4, 5n), 200), null);
    assert.equal(virtualSize('qcow2', Buffer.from('not a qcow2 header at all, no sir'), 200), null);
    assert.equal(virtualSize('qcow2', qcow2(3, 5n).subarray(0, 20), 200), null, 'short header');
    assert.equal(virtualSize('qcow2', qcow2(3, 2n ** 60n), 200), null, 'beyond a safe integer');
  });

  it('reads the vmdk capacity in sectors', () => {
    const b = Buffer.alloc(64);
    b.write('KDMV', 0, 'latin1');
    b.writeBigUInt64LE(4096n, 12);
    assert.equal(virtualSize('vmdk', b, 10), 4096 * 512);
    assert.equal(virtualSize('vmdk', Buffer.alloc(64), 10), null);
  });

  it('raw is the data size; the declared format decides; others are null', () => {
    assert.equal(virtualSize('raw', qcow2(3, 5n), 1234), 1234);
    assert.equal(virtualSize('iso', Buffer.alloc(64), 1234), null);
    assert.equal(virtualSize(null, qcow2(3, 5n), 1234), null);
  });
});

describe('headerTap', () => {
  it('passes bytes through unchanged and keeps only the first HEADER_BYTES', async () => {
    const parts = [Buffer.alloc(100, 1), Buffer.alloc(1000, 2), Buffer.alloc(10, 3)];
    const tap = headerTap((async function* () {
      yield* parts;
    })());
    const seen: Buffer[] = [];
    for await (const c of tap.stream) seen.push(Buffer.from(c));
    assert.ok(Buffer.concat(seen).equals(Buffer.concat(parts)));
    assert.equal(tap.head().length, HEADER_BYTES);
    assert.ok(tap.head().equals(Buffer.concat(parts).subarray(0, HEADER_BYTES)));
  });
});
