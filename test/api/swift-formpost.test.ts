// FormPost: HTML form uploads signed with a Temp-URL key.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { mkContainer, startSwift, type Swift } from './swift-helpers.js';

interface Form {
  path: string;
  key: string;
  redirect?: string;
  maxFileSize?: number;
  maxFileCount?: number;
  expires?: number;
  digest?: 'sha1' | 'sha256' | 'sha512';
  files: { name: string; body: string | Buffer; type?: string }[];
  extra?: Record<string, string>;
}

const BOUNDARY = '--boundary--';

function form(f: Form): Buffer {
  const redirect = f.redirect ?? '';
  const maxFileSize = f.maxFileSize ?? 1024;
  const maxFileCount = f.maxFileCount ?? 10;
  const expires = f.expires ?? Math.floor(Date.now() / 1000) + 600;
  const signature = createHmac(f.digest ?? 'sha1', f.key).update(`${f.path}\n${redirect}\n${maxFileSize}\n${maxFileCount}\n${expires}`).digest('hex');
  const fields = { redirect, max_file_size: String(maxFileSize), max_file_count: String(maxFileCount), expires: String(expires), signature, ...f.extra };
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const file of f.files) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(Buffer.from(file.body), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

describe('swift: formpost', () => {
  let s: Swift;
  let c: string;
  const key = 'form-key';
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'uploads');
    assert.equal((await s.req('POST', '', { headers: { 'X-Account-Meta-Temp-URL-Key': key } })).status, 204);
  });
  after(() => s.close());

  const post = (path: string, body: Buffer, token: string | null = null) =>
    s.raw('POST', path, { token, body, headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` } });

  it('uploads the files of a signed form, anonymously, under the path prefix', async () => {
    const path = `${s.accountPath}/${c}/pre-`;
    const r = await post(path, form({ path, key, files: [{ name: 'a.txt', body: 'hello world', type: 'text/plain' }, { name: 'b.bin', body: Buffer.alloc(1000, 7) }] }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.text, '201 Created');
    const a = await s.req('GET', `/${c}/pre-a.txt`);
    assert.equal(a.text, 'hello world');
    assert.equal(a.headers['content-type'], 'text/plain');
    assert.equal((await s.req('GET', `/${c}/pre-b.bin`)).buf.length, 1000);
  });

  it('signs without the /swift prefix too, with sha256/sha512, and a container key', async () => {
    const path = `${s.accountPath.replace(/^\/swift/, '')}/${c}`;
    assert.equal((await post(`/swift${path}`, form({ path, key, digest: 'sha256', files: [{ name: 'x', body: 'x' }] }))).status, 201);
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Temp-URL-Key': 'ckey' } })).status, 204);
    const full = `${s.accountPath}/${c}/`;
    assert.equal((await post(full, form({ path: full, key: 'ckey', digest: 'sha512', files: [{ name: 'y', body: 'y' }] }))).status, 201);
    assert.equal((await s.req('GET', `/${c}/y`)).text, 'y');
  });

  it('redirects with status and message when asked', async () => {
    const path = `${s.accountPath}/${c}/`;
    const redirect = 'https://example.test/done?x=1';
    const ok = await post(path, form({ path, key, redirect, files: [{ name: 'r', body: 'r' }] }));
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, `${redirect}&status=201&message=`);
    const many = await post(path, form({ path, key, redirect, maxFileCount: 1, files: [{ name: 'm1', body: '1' }, { name: 'm2', body: '2' }] }));
    assert.equal(many.headers.location, `${redirect}&status=400&message=max%20file%20count%20exceeded`);
    assert.equal((await s.req('GET', `/${c}/m1`)).status, 200);
    assert.equal((await s.req('GET', `/${c}/m2`)).status, 404);
  });

  it('refuses bad signatures and expired forms with 401, oversize files with 400', async () => {
    const path = `${s.accountPath}/${c}/`;
    const bad = await post(path, form({ path, key: 'wrong', files: [{ name: 'n', body: 'n' }] }));
    assert.equal(bad.status, 401);
    assert.equal(bad.text, 'FormPost: Invalid Signature');
    const expired = await post(path, form({ path, key, expires: Math.floor(Date.now() / 1000) - 5, files: [{ name: 'n', body: 'n' }] }));
    assert.equal(expired.text, 'FormPost: Form Expired');
    const big = await post(path, form({ path, key, maxFileSize: 10, files: [{ name: 'big', body: Buffer.alloc(64 * 1024) }] }));
    assert.equal(big.status, 400);
    assert.equal(big.text, 'FormPost: max_file_size exceeded');
    assert.equal((await s.req('GET', `/${c}/big`)).status, 404, 'nothing stored');
    const none = await post(path, form({ path, key, files: [] }));
    assert.equal(none.status, 400);
    assert.match(none.text, /FormPost: No Files To Process/);
    const garbage = await s.raw('POST', path, { token: null, body: 'not a form', headers: { 'Content-Type': 'multipart/form-data; boundary=zz' } });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.text, 'FormPost: invalid starting boundary');
    const missing = `${s.accountPath}/nocontainer/`;
    assert.equal((await post(missing, form({ path: missing, key, files: [{ name: 'n', body: 'n' }] }))).status, 404);
  });
});
