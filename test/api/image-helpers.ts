import assert from 'node:assert/strict';
import type { Res, TestCloud } from '../support/cloud.js';

/** Shared helpers for the image API tests (Glance v2 at /image/v2). */

export const V2 = '/image/v2';
export const PATCH_21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_20 = 'application/openstack-images-v2.0-json-patch';

/** POST /v2/images; asserts 201 and returns the image. */
export async function createImage(c: TestCloud, token: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await c.req('POST', `${V2}/images`, { token, body: { container_format: 'bare', disk_format: 'raw', ...body } });
  assert.equal(r.status, 201, `create image: ${r.status} ${r.text.slice(0, 300)}`);
  return r.body;
}

export function patch(c: TestCloud, token: string, id: string, ops: unknown, type = PATCH_21): Promise<Res> {
  return c.req('PATCH', `${V2}/images/${id}`, { token, raw: JSON.stringify(ops), headers: { 'content-type': type } });
}

/** PUT …/file with raw bytes (or a stream, sent chunked). */
export async function upload(
  c: TestCloud,
  token: string,
  id: string,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  opts: { path?: 'file' | 'stage'; headers?: Record<string, string> } = {},
): Promise<Response> {
  const init: RequestInit & { duplex?: 'half' } = {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', ...opts.headers },
    body: (data instanceof Uint8Array ? data : iterableToStream(data)) as unknown as BodyInit,
  };
  if (!(data instanceof Uint8Array)) init.duplex = 'half';
  const r = await fetch(`${c.url}${V2}/images/${id}/${opts.path ?? 'file'}`, init);
  await r.arrayBuffer();
  return r;
}

export function iterableToStream(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iter = it[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(ctl) {
      const { value, done } = await iter.next();
      if (done) ctl.close();
      else ctl.enqueue(value);
    },
  });
}

/** Uploads and asserts 204. */
export async function uploadOk(c: TestCloud, token: string, id: string, data: Uint8Array): Promise<void> {
  const r = await upload(c, token, id, data);
  assert.equal(r.status, 204, `upload: ${r.status}`);
}

export async function download(c: TestCloud, token: string, id: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; data: Buffer }> {
  const r = await fetch(`${c.url}${V2}/images/${id}/file`, { headers: { 'x-auth-token': token, ...headers } });
  return { status: r.status, headers: r.headers, data: Buffer.from(await r.arrayBuffer()) };
}

export async function show(c: TestCloud, token: string, id: string): Promise<any> {
  const r = await c.req('GET', `${V2}/images/${id}`, { token });
  assert.equal(r.status, 200, `show ${id}: ${r.status} ${r.text.slice(0, 200)}`);
  return r.body;
}

export async function listIds(c: TestCloud, token: string, query = ''): Promise<string[]> {
  const r = await c.req('GET', `${V2}/images${query}`, { token });
  assert.equal(r.status, 200, `list ${query}: ${r.status} ${r.text.slice(0, 200)}`);
  return r.body.images.map((i: any) => i.id);
}

/** Asserts the status and Glance's small HTML error page. */
export function assertStatus(r: Res | Response, status: number, what = ''): void {
  const text = 'text' in r && typeof r.text === 'string' ? r.text.slice(0, 300) : '';
  assert.equal(r.status, status, `${what} expected ${status}, got ${r.status} ${text}`);
}

export function assertGlanceError(r: Res, status: number, what = ''): void {
  assertStatus(r, status, what);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/, `${what} error content-type`);
  assert.match(r.text, new RegExp(`<title>${status} `), `${what} error body`);
}

/** Project ids of the bootstrap projects, from their users' tokens. */
export async function projectIdOf(c: TestCloud, user: string): Promise<string> {
  const admin = await c.token('admin');
  const r = await c.req('GET', '/identity/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': await c.token(user) } });
  assert.equal(r.status, 200);
  return r.body.token.project.id;
}

/** Deterministic pseudo-random bytes (no big buffers kept around). */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Removes images (unprotecting them first) with an admin token; ignores 404s. */
export async function deleteImages(c: TestCloud, ids: string[]): Promise<void> {
  const admin = await c.token('admin');
  for (const id of ids) {
    await patch(c, admin, id, [{ op: 'replace', path: '/protected', value: false }]);
    const r = await c.req('DELETE', `${V2}/images/${id}`, { token: admin });
    assert.ok(r.status === 204 || r.status === 404, `cleanup ${id}: ${r.status}`);
  }
}
