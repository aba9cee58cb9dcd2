// Per-project image quotas: image count and total bytes (uploaded and staged), with 413s that
// say what was exceeded, for declared (Content-Length) and chunked uploads alike.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertGlanceError, assertStatus, bytes, createImage, deleteImages, show, upload, uploadOk, V2 } from './image-helpers.js';

async function* chunks(data: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('image API: quotas', () => {
  let c: TestCloud;
  let demo: string;
  let alt: string;
  const made: string[] = [];
  const mk = async (token: string) => {
    const img = await createImage(c, token, { name: uniqueName('quota') });
    made.push(img.id);
    return img;
  };

  before(async () => {
    c = await startTestCloud({ config: { image: { quotas: { images: 3, bytes: 10_000 } } } });
    [demo, alt] = await Promise.all([c.token('demo'), c.token('alt_demo')]);
  });
  after(async () => {
    await deleteImages(c, made);
    await c.close();
  });

  test('bytes: a declared upload over the limit is 413 before any data is stored', async () => {
    const img = await mk(demo);
    const r = await upload(c, demo, img.id, bytes(10_001));
    assertStatus(r, 413);
    const s = await show(c, demo, img.id);
    assert.equal(s.status, 'queued');
    assert.equal(s.size, null);
  });

  test('bytes: a chunked upload passing the limit midway is 413 and leaves the image queued', async () => {
    const img = await mk(demo);
    await uploadOk(c, demo, img.id, bytes(6_000));
    const second = await mk(demo);
    const r = await upload(c, demo, second.id, chunks(bytes(6_000), 1000));
    assertStatus(r, 413);
    assert.equal((await show(c, demo, second.id)).status, 'queued');
    const usage = await c.req('GET', `${V2}/info/usage`, { token: demo });
    assert.equal(usage.status, 200);
    assert.equal(usage.body.usage.image_count_total.usage, 3);
    assert.equal(usage.body.usage.image_count_total.limit, 3);
    // The 413 body says which limit was passed.
    const again = await c.req('PUT', `${V2}/images/${second.id}/file`, { token: demo, raw: 'x'.repeat(5_000), headers: { 'content-type': 'application/octet-stream' } });
    assertGlanceError(again, 413);
    assert.match(again.text, /image_size_total/);
    // Up to the limit is fine.
    assertStatus(await upload(c, demo, second.id, bytes(4_000)), 204);
  });

  test('count: the fourth image of a project is 413; other projects are unaffected', async () => {
    // demo has made 3 images above.
    const r = await c.req('POST', `${V2}/images`, { token: demo, body: { name: 'one-too-many' } });
    assertGlanceError(r, 413);
    assert.match(r.text, /image_count_total/);
    await mk(alt);
  });

  test('staged bytes count too; deleting frees quota', async () => {
    const staged = await mk(alt);
    assertStatus(await upload(c, alt, staged.id, bytes(8_000), { path: 'stage' }), 204);
    const next = await mk(alt);
    assertStatus(await upload(c, alt, next.id, bytes(3_000)), 413);
    assert.equal((await c.req('DELETE', `${V2}/images/${staged.id}`, { token: alt })).status, 204);
    assertStatus(await upload(c, alt, next.id, bytes(3_000)), 204);
  });
});
