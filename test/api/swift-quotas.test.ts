// Swift account and container quotas: who may set them, and writes refused with 413.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

async function* slowChunks(n: number, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < n; i++) yield Buffer.alloc(size, 'q');
}

describe('swift: quotas', () => {
  let s: Swift;
  let admin: string;
  before(async () => {
    s = await startSwift();
    admin = await s.tc.token('admin');
  });
  after(async () => {
    await s.req('POST', '', { token: admin, headers: { 'X-Remove-Account-Meta-Quota-Bytes': 'x' } }).catch(() => undefined);
    await s.close();
  });

  it('container quotas: bytes and count, on PUT, chunked PUT and server-side copy', async () => {
    const c = await mkContainer(s, 'q');
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Quota-Bytes': 'ten' } })).status, 400);
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Quota-Bytes': '10', 'X-Container-Meta-Quota-Count': '3' } })).status, 204);
    await put(s, c, 'a', '1234567890');
    const over = await s.req('PUT', `/${c}/b`, { body: 'x' });
    assert.equal(over.status, 413);
    assert.match(over.text, /Upload exceeds quota\./);
    // An overwrite is charged only its growth.
    await put(s, c, 'a', '123456789');
    await put(s, c, 'b', 'x');
    const chunked = await s.req('PUT', `/${c}/big`, { body: slowChunks(4, 8), headers: { 'Transfer-Encoding': 'chunked' } });
    assert.equal(chunked.status, 413, 'a chunked body is cut off at the quota');
    assert.equal((await s.req('COPY', `/${c}/a`, { headers: { Destination: `${c}/copy` } })).status, 413);
    let head = await s.req('HEAD', `/${c}`);
    assert.equal(head.headers['x-container-bytes-used'], '10');
    assert.equal(head.headers['x-container-object-count'], '2');
    assert.equal((await s.req('DELETE', `/${c}/a`)).status, 204);
    await put(s, c, 'e1', '');
    await put(s, c, 'e2', '');
    assert.equal((await s.req('PUT', `/${c}/e3`, { body: '' })).status, 413, 'count quota');
    head = await s.req('HEAD', `/${c}`);
    assert.equal(head.headers['x-container-object-count'], '3');
    // Removing the quota lifts it.
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Quota-Count': '' } })).status, 204);
    await put(s, c, 'e3', '');
  });

  it('account quota: only a reseller admin sets it; it caps writes in every container', async () => {
    for (const v of ['100', '']) {
      assert.equal((await s.req('POST', '', { headers: { 'X-Account-Meta-Quota-Bytes': v } })).status, 403, `owner sets ${JSON.stringify(v)}`);
    }
    assert.equal((await s.req('POST', '', { headers: { 'X-Remove-Account-Meta-Quota-Bytes': 'x' } })).status, 403);
    assert.equal((await s.req('POST', '', { token: admin, headers: { 'X-Account-Meta-Quota-Bytes': 'lots' } })).status, 400);
    const used = Number((await s.req('HEAD', '')).headers['x-account-bytes-used']);
    const r = await s.req('POST', '', { token: admin, headers: { 'X-Account-Meta-Quota-Bytes': String(used + 20) } });
    assert.equal(r.status, 204);
    assert.equal((await s.req('HEAD', '')).headers['x-account-meta-quota-bytes'], String(used + 20));
    const c1 = await mkContainer(s, 'qa');
    const c2 = await mkContainer(s, 'qb');
    await put(s, c1, 'o', Buffer.alloc(15));
    assert.equal((await s.req('PUT', `/${c2}/o`, { body: Buffer.alloc(6) })).status, 413);
    await put(s, c2, 'o', Buffer.alloc(5));
    assert.equal((await s.req('PUT', `/${c2}/p`, { body: slowChunks(2, 1) , headers: { 'Transfer-Encoding': 'chunked' } })).status, 413);
    assert.equal((await s.req('POST', '', { token: admin, headers: { 'X-Account-Meta-Quota-Bytes': '' } })).status, 204);
    assert.equal((await s.req('HEAD', '')).headers['x-account-meta-quota-bytes'], undefined);
    await put(s, c2, 'p', Buffer.alloc(6));
  });
});
