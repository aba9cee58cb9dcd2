// Image data over real HTTP: upload (plain and chunked), download with Range, checksums and
// virtual size, status transitions, interrupted uploads, deactivation, glance-direct import.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { eventually, startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertGlanceError, assertStatus, bytes, createImage, deleteImages, download, patch, show, upload, uploadOk, V2 } from './image-helpers.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

async function* chunks(data: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** A qcow2 v3 header claiming `virtual` bytes, padded to `len`. */
function qcow2(virtual: bigint, len = 4096): Buffer {
  const b = Buffer.alloc(len);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(virtual, 24);
  return b;
}

function vmdk(sectors: bigint, len = 2048): Buffer {
  const b = Buffer.alloc(len);
  b.write('KDMV', 0, 'latin1');
  b.writeUInt32LE(1, 4);
  b.writeBigUInt64LE(sectors, 12);
  return b;
}

async function imageBlobs(c: TestCloud): Promise<string[]> {
  const out: string[] = [];
  for await (const k of c.cloud.blobs.keys('image')) out.push(k);
  return out;
}

describe('image API: data', () => {
  let c: TestCloud;
  let demo: string;
  const made: string[] = [];
  const mk = async (body: Record<string, unknown> = {}) => {
    const img = await createImage(c, demo, { name: uniqueName('data'), ...body });
    made.push(img.id);
    return img;
  };

  before(async () => {
    c = await startTestCloud();
    demo = await c.token('demo');
  });
  after(async () => {
    await deleteImages(c, made);
    await c.close();
  });

  test('upload then download gives identical bytes, with md5, sha512 and size recorded', async () => {
    const data = bytes(300_001, 7);
    const img = await mk();
    assert.equal((await download(c, demo, img.id)).status, 204, 'no data yet: 204');
    await uploadOk(c, demo, img.id, data);
    const s = await show(c, demo, img.id);
    assert.equal(s.status, 'active');
    assert.equal(s.size, data.length);
    assert.equal(s.virtual_size, data.length, 'raw: virtual size is the size');
    assert.equal(s.checksum, md5(data));
    assert.equal(s.os_hash_algo, 'sha512');
    assert.equal(s.os_hash_value, sha512(data));
    const d = await download(c, demo, img.id);
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'application/octet-stream');
    assert.equal(d.headers.get('content-md5'), md5(data));
    assert.equal(Number(d.headers.get('content-length')), data.length);
    assert.ok(d.data.equals(data));
  });

  test('chunked upload (no Content-Length) works', async () => {
    const data = bytes(200_000, 3);
    const img = await mk();
    const r = await upload(c, demo, img.id, chunks(data, 7_777));
    assertStatus(r, 204);
    assert.ok((await download(c, demo, img.id)).data.equals(data));
  });

  test('Range: 206 with Content-Range, suffix and open ranges, 416 when unsatisfiable', async () => {
    const data = bytes(1000, 5);
    const img = await mk();
    await uploadOk(c, demo, img.id, data);
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-10', 990, 999],
      ['bytes=500-5000', 500, 999],
    ];
    for (const [h, start, end] of cases) {
      const d = await download(c, demo, img.id, { range: h });
      assert.equal(d.status, 206, h);
      assert.equal(d.headers.get('content-range'), `bytes ${start}-${end}/1000`, h);
      assert.ok(d.data.equals(data.subarray(start, end + 1)), h);
    }
    for (const h of ['bytes=1000-', 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=-0']) {
      const d = await download(c, demo, img.id, { range: h });
      assert.equal(d.status, 416, h);
      assert.equal(d.headers.get('content-range'), 'bytes */1000', h);
    }
  });

  test('virtual size from qcow2 and vmdk headers; unknown formats give null', async () => {
    const q = await mk({ disk_format: 'qcow2' });
    await uploadOk(c, demo, q.id, qcow2(10n * 1024n ** 3n));
    assert.equal((await show(c, demo, q.id)).virtual_size, 10 * 1024 ** 3);
    const v = await mk({ disk_format: 'vmdk' });
    await uploadOk(c, demo, v.id, vmdk(2048n));
    assert.equal((await show(c, demo, v.id)).virtual_size, 2048 * 512);
    const bad = await mk({ disk_format: 'qcow2' });
    await uploadOk(c, demo, bad.id, bytes(100));
    assert.equal((await show(c, demo, bad.id)).virtual_size, null);
    const iso = await mk({ disk_format: 'iso' });
    await uploadOk(c, demo, iso.id, bytes(100));
    assert.equal((await show(c, demo, iso.id)).virtual_size, null);
  });

  test('upload to a non-queued image is 409; without formats 400; wrong content type 415', async () => {
    const img = await mk();
    await uploadOk(c, demo, img.id, bytes(10));
    assertStatus(await upload(c, demo, img.id, bytes(10)), 409);
    const bare = await createImage(c, demo, { name: uniqueName('noformat'), disk_format: null, container_format: null });
    made.push(bare.id);
    assertStatus(await upload(c, demo, bare.id, bytes(10)), 400);
    assert.equal((await show(c, demo, bare.id)).status, 'queued');
    const other = await mk();
    assertStatus(await upload(c, demo, other.id, bytes(10), { headers: { 'content-type': 'application/json' } }), 415);
    assertStatus(await upload(c, demo, '00000000-0000-0000-0000-000000000000', bytes(10)), 404);
  });

  test('a second upload while the first is saving is 409; the first completes', async () => {
    const img = await mk();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncIterable<Uint8Array> {
      yield bytes(1000, 1);
      await gate;
      yield bytes(1000, 2);
    }
    const first = upload(c, demo, img.id, slow());
    await eventually(async () => (await show(c, demo, img.id)).status === 'saving');
    assertStatus(await upload(c, demo, img.id, bytes(10)), 409);
    release();
    assertStatus(await first, 204);
    const s = await show(c, demo, img.id);
    assert.equal(s.status, 'active');
    assert.equal(s.size, 2000);
  });

  test('only the owner uploads: 403 for a project that sees the image, 404 for one that does not', async () => {
    const img = await mk();
    assertStatus(await upload(c, await c.token('alt_demo'), img.id, bytes(10)), 404);
    assertStatus(await upload(c, await c.token('demo_reader'), img.id, bytes(10)), 403);
    assert.equal((await show(c, demo, img.id)).status, 'queued');
  });

  test('an interrupted upload leaves the image queued and no blob behind', async () => {
    const img = await mk();
    const before = await imageBlobs(c);
    const url = new URL(c.url);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT ${V2}/images/${img.id}/file HTTP/1.1\r\nHost: ${url.host}\r\nX-Auth-Token: ${demo}\r\n` +
            `Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`,
        );
        sock.write(bytes(40_000));
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
      sock.on('error', reject);
    });
    await eventually(async () => (await show(c, demo, img.id)).status === 'queued');
    const s = await show(c, demo, img.id);
    assert.equal(s.size, null);
    assert.deepEqual(await imageBlobs(c), before, 'no partial blob is left');
    await uploadOk(c, demo, img.id, bytes(10));
    assert.equal((await show(c, demo, img.id)).status, 'active', 'a retry succeeds');
  });

  test('deleting an image removes its data', async () => {
    const img = await createImage(c, demo, { name: uniqueName('del') });
    await uploadOk(c, demo, img.id, bytes(1000));
    const key = (await imageBlobs(c)).find((k) => k.includes(img.id));
    assert.ok(key, 'blob stored under image/<id>-…');
    assert.equal((await c.req('DELETE', `${V2}/images/${img.id}`, { token: demo })).status, 204);
    assert.equal((await imageBlobs(c)).some((k) => k.includes(img.id)), false);
  });

  test('deactivated: status shown, download 403 for non-admins, allowed for admin; reactivate restores', async () => {
    const data = bytes(500, 9);
    const img = await mk();
    await uploadOk(c, demo, img.id, data);
    assert.equal((await c.req('POST', `${V2}/images/${img.id}/actions/deactivate`, { token: demo })).status, 204);
    assert.equal((await c.req('POST', `${V2}/images/${img.id}/actions/deactivate`, { token: demo })).status, 204, 'idempotent');
    assert.equal((await show(c, demo, img.id)).status, 'deactivated');
    assert.equal((await download(c, demo, img.id)).status, 403);
    const admin = await download(c, await c.token('admin'), img.id);
    assert.equal(admin.status, 200);
    assert.ok(admin.data.equals(data));
    assert.equal((await c.req('POST', `${V2}/images/${img.id}/actions/reactivate`, { token: demo })).status, 204);
    assert.equal((await show(c, demo, img.id)).status, 'active');
    assert.ok((await download(c, demo, img.id)).data.equals(data));
  });

  test('formats can change only while queued', async () => {
    const img = await mk();
    assert.equal((await patch(c, demo, img.id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }])).status, 200);
    await uploadOk(c, demo, img.id, bytes(10));
    assertGlanceError(await patch(c, demo, img.id, [{ op: 'replace', path: '/disk_format', value: 'raw' }]), 403);
  });

  test('glance-direct: stage (uploading), import (202, importing → active), data identical', async () => {
    const data = bytes(50_000, 11);
    const img = await mk();
    assertStatus(await upload(c, demo, img.id, data, { path: 'stage' }), 204);
    const staged = await show(c, demo, img.id);
    assert.equal(staged.status, 'uploading');
    assert.equal((await download(c, demo, img.id)).status, 204);
    assertStatus(await upload(c, demo, img.id, data, { path: 'stage' }), 409);
    const imp = await c.req('POST', `${V2}/images/${img.id}/import`, { token: demo, body: { method: { name: 'glance-direct' } } });
    assert.equal(imp.status, 202, imp.text);
    const done = await eventually(async () => {
      const s = await show(c, demo, img.id);
      return s.status === 'active' ? s : undefined;
    });
    assert.equal(done.checksum, md5(data));
    assert.equal(done.size, data.length);
    assert.ok((await download(c, demo, img.id)).data.equals(data));
  });

  test('import errors: unknown method 400, not staged 409', async () => {
    const img = await mk();
    const post = (body: unknown) => c.req('POST', `${V2}/images/${img.id}/import`, { token: demo, body });
    assertGlanceError(await post({ method: { name: 'web-download' } }), 400);
    assertGlanceError(await post({}), 400);
    assertGlanceError(await post({ method: { name: 'glance-direct' }, all_stores: 'yes' }), 400);
    assertGlanceError(await post({ method: { name: 'glance-direct' } }), 409);
  });
});
