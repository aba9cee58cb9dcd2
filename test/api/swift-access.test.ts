// Who may use a Swift account: tokens and roles, container ACLs, TempURLs.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

describe('swift: tokens and roles', () => {
  let s: Swift;
  let c: string;
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'priv');
    await put(s, c, 'o', 'secret');
  });
  after(() => s.close());

  it('401 with WWW-Authenticate without a token or with a bad one', async () => {
    for (const token of [null, 'not-a-token']) {
      for (const [m, p] of [['GET', ''], ['HEAD', `/${c}`], ['GET', `/${c}/o`], ['PUT', `/${c}/n`]] as const) {
        const r = await s.req(m, p, { token, body: m === 'PUT' ? 'x' : undefined });
        assert.equal(r.status, 401, `${m} ${p} ${token}`);
        assert.match(r.headers['www-authenticate'] ?? '', /^Keystone uri=/);
      }
    }
  });

  it('a reader may read but not write; another project is refused (403)', async () => {
    const reader = await s.as('demo_reader', 'demo');
    assert.equal((await s.req('GET', `/${c}/o`, { token: reader.token })).status, 200);
    assert.equal((await s.req('HEAD', '', { token: reader.token })).status, 204);
    assert.equal((await s.req('PUT', `/${c}/r`, { token: reader.token, body: 'x' })).status, 403);
    assert.equal((await s.req('POST', `/${c}`, { token: reader.token })).status, 403);
    assert.equal((await s.req('DELETE', `/${c}/o`, { token: reader.token })).status, 403);
    const alt = await s.as('alt_demo');
    assert.equal((await s.req('GET', `/${c}/o`, { token: alt.token })).status, 403);
    assert.equal((await s.req('GET', '', { token: alt.token })).status, 403);
    assert.equal((await s.req('PUT', '/altbox', { token: alt.token })).status, 403);
  });

  it('admin (and ResellerAdmin) may use any account', async () => {
    const admin = await s.tc.token('admin');
    assert.equal((await s.req('GET', `/${c}/o`, { token: admin })).text, 'secret');
    assert.equal((await s.req('PUT', `/${c}/by-admin`, { token: admin, body: 'a' })).status, 201);
    assert.equal((await s.raw('PUT', '/swift/v1/AUTH_someoneelse/box', { token: admin })).status, 201);
    assert.equal((await s.raw('GET', '/swift/v1/NOTANACCOUNT', { token: admin })).status, 400);
  });
});

describe('swift: container ACLs', () => {
  let s: Swift;
  before(async () => {
    s = await startSwift();
  });
  after(() => s.close());

  it('.r:* lets anyone read objects; listing also needs .rlistings', async () => {
    const c = await mkContainer(s, 'pub');
    await put(s, c, 'o', 'public');
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Read': '.r:*' } })).status, 204);
    assert.equal((await s.req('GET', `/${c}/o`, { token: null })).text, 'public');
    assert.equal((await s.req('HEAD', `/${c}/o`, { token: null })).status, 200);
    assert.equal((await s.req('GET', `/${c}`, { token: null })).status, 401);
    assert.equal((await s.req('PUT', `/${c}/n`, { token: null, body: 'x' })).status, 401);
    const alt = await s.as('alt_demo');
    assert.equal((await s.req('GET', `/${c}/o`, { token: alt.token })).status, 200);
    assert.equal((await s.req('PUT', `/${c}/n`, { token: alt.token, body: 'x' })).status, 403);
    await s.req('POST', `/${c}`, { headers: { 'X-Container-Read': '.r:*,.rlistings' } });
    const l = await s.req('GET', `/${c}`, { token: null });
    assert.equal(l.status, 200);
    assert.equal(l.headers['x-container-read'], undefined, 'ACLs are shown to owners only');
    assert.equal((await s.req('HEAD', `/${c}`)).headers['x-container-read'], '.r:*,.rlistings');
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Remove-Container-Read': 'x' } })).status, 204);
    assert.equal((await s.req('GET', `/${c}/o`, { token: null })).status, 401);
  });

  it('referrer rules: a named host only, and denials', async () => {
    const c = await mkContainer(s, 'ref', { 'X-Container-Read': '.r:.example.com,.r:-bad.example.com' });
    await put(s, c, 'o', 'x');
    const get = (referer?: string) => s.req('GET', `/${c}/o`, { token: null, headers: referer ? { referer } : {} });
    assert.equal((await get('http://www.example.com/page')).status, 200);
    assert.equal((await get('http://bad.example.com/page')).status, 401);
    assert.equal((await get('http://other.org/')).status, 401);
    assert.equal((await get()).status, 401);
  });

  it('project:user grants read or write to another project', async () => {
    const alt = await s.as('alt_demo');
    const altProject = alt.account.slice('AUTH_'.length);
    const c = await mkContainer(s, 'shared', { 'X-Container-Read': `${altProject}:*`, 'X-Container-Write': 'alt_demo:alt_demo' });
    await put(s, c, 'o', 'shared');
    assert.equal((await s.req('GET', `/${c}/o`, { token: alt.token })).text, 'shared');
    assert.equal((await s.req('GET', `/${c}`, { token: alt.token })).status, 200);
    assert.equal((await s.req('PUT', `/${c}/from-alt`, { token: alt.token, body: 'hi' })).status, 201);
    assert.equal((await s.req('DELETE', `/${c}`, { token: alt.token })).status, 403);
    assert.equal((await s.req('POST', `/${c}`, { token: alt.token })).status, 403);
  });

  it('refuses malformed ACLs (400)', async () => {
    const c = await mkContainer(s, 'badacl');
    for (const [h, v] of [['X-Container-Write', '.r:*'], ['X-Container-Read', '.r:'], ['X-Container-Read', '.bogus']]) {
      assert.equal((await s.req('POST', `/${c}`, { headers: { [h!]: v! } })).status, 400, `${h}: ${v}`);
    }
  });
});

function sign(key: string, method: string, expires: number | string, path: string, digest = 'sha256'): string {
  return createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest('hex');
}

describe('swift: TempURL', () => {
  let s: Swift;
  let c: string;
  const key = 'the-account-key';
  before(async () => {
    s = await startSwift();
    c = await mkContainer(s, 'tmp');
    await put(s, c, 'dir/file.txt', 'temp data', { 'x-object-meta-private': 'p', 'x-object-meta-public-ok': 'y' });
    assert.equal((await s.req('POST', '', { headers: { 'X-Account-Meta-Temp-URL-Key': key } })).status, 204);
  });
  after(() => s.close());
  const objPath = () => `${s.accountPath}/${c}/dir/file.txt`;
  const url = (sig: string, exp: number | string, extra = '') => `${objPath()}?temp_url_sig=${sig}&temp_url_expires=${exp}${extra}`;
  const soon = () => Math.floor(Date.now() / 1000) + 60;

  it('a signed GET works anonymously, with a download name and no private metadata', async () => {
    const exp = soon();
    const r = await s.raw('GET', url(sign(key, 'GET', exp, objPath()), exp), { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'temp data');
    assert.match(r.headers['content-disposition']!, /^attachment; filename="file.txt"/);
    assert.equal(r.headers['x-object-meta-private'], undefined);
    assert.equal(r.headers['x-object-meta-public-ok'], 'y');
    const inline = await s.raw('GET', url(sign(key, 'GET', exp, objPath()), exp, '&inline'), { token: null });
    assert.equal(inline.headers['content-disposition'], 'inline');
    assert.equal((await s.raw('HEAD', url(sign(key, 'GET', exp, objPath()), exp), { token: null })).status, 200);
  });

  it('sha1, sha512 (base64) and the path without the /swift prefix are accepted', async () => {
    const exp = soon();
    assert.equal((await s.raw('GET', url(sign(key, 'GET', exp, objPath(), 'sha1'), exp), { token: null })).status, 200);
    const b64 = createHmac('sha512', key).update(`GET\n${exp}\n${objPath()}`).digest('base64url');
    assert.equal((await s.raw('GET', url(`sha512:${b64}`, exp), { token: null })).status, 200);
    const short = objPath().replace(/^\/swift/, '');
    assert.equal((await s.raw('GET', url(sign(key, 'GET', exp, short), exp), { token: null })).status, 200);
  });

  it('refuses expired, tampered, wrong-method and wrong-object URLs (401)', async () => {
    const exp = soon();
    const past = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await s.raw('GET', url(sign(key, 'GET', past, objPath()), past), { token: null })).status, 401);
    assert.equal((await s.raw('GET', url(sign('other', 'GET', exp, objPath()), exp), { token: null })).status, 401);
    assert.equal((await s.raw('PUT', url(sign(key, 'GET', exp, objPath()), exp), { token: null, body: 'x' })).status, 401);
    assert.equal((await s.raw('GET', url('abc', exp), { token: null })).status, 401);
    assert.equal((await s.raw('GET', url(sign(key, 'GET', exp, objPath()), 'tomorrow'), { token: null })).status, 401);
    const other = `${s.accountPath}/${c}/dir/other.txt`;
    assert.equal((await s.raw('GET', `${other}?temp_url_sig=${sign(key, 'GET', exp, objPath())}&temp_url_expires=${exp}`, { token: null })).status, 401);
  });

  it('a signed PUT uploads; a container key and prefix URLs work too', async () => {
    const exp = soon();
    const target = `${s.accountPath}/${c}/dir/uploaded`;
    const r = await s.raw('PUT', `${target}?temp_url_sig=${sign(key, 'PUT', exp, target)}&temp_url_expires=${exp}`, { token: null, body: 'up' });
    assert.equal(r.status, 201);
    assert.equal((await s.req('GET', `/${c}/dir/uploaded`)).text, 'up');
    await s.req('POST', `/${c}`, { headers: { 'X-Container-Meta-Temp-URL-Key': 'ckey' } });
    assert.equal((await s.raw('GET', url(sign('ckey', 'GET', exp, objPath()), exp), { token: null })).status, 200);
    const prefixSig = createHmac('sha256', key).update(`GET\n${exp}\nprefix:${s.accountPath}/${c}/dir/`).digest('hex');
    const pr = await s.raw('GET', `${objPath()}?temp_url_sig=${prefixSig}&temp_url_expires=${exp}&temp_url_prefix=dir/`, { token: null });
    assert.equal(pr.status, 200);
    assert.equal((await s.req('HEAD', '')).headers['x-account-meta-temp-url-key'], key, 'owners see the key');
  });
});
