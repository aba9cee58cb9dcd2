import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { registerSite } from './static.js';

function site(t: { after: (fn: () => void) => void }, built = true) {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-site-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  if (built) writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  const app = Fastify();
  registerSite(app, { root, appRoutes: ['project', 'login'] });
  app.get('/compute/v2.1', async () => ({ version: 'v2.1' }));
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'api 404' }));
  t.after(() => app.close());
  return app;
}

test('index.html for / and the app routes, never cached, with a CSP', async (t) => {
  const app = site(t);
  for (const url of ['/', '/index.html', '/login', '/project/instances', '/project/instances/abc']) {
    const r = await app.inject({ url });
    assert.equal(r.statusCode, 200, url);
    assert.match(r.headers['content-type'] as string, /^text\/html/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(r.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.equal(r.body, '<!doctype html><title>app</title>');
  }
  const head = await app.inject({ method: 'HEAD', url: '/project/overview' });
  assert.equal(head.statusCode, 200);
});

test('hashed assets get their content type and a long immutable cache', async (t) => {
  const app = site(t);
  const js = await app.inject({ url: '/assets/index-abc123.js' });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['x-content-type-options'], 'nosniff');
  assert.equal(js.body, 'console.log(1)');
  const css = await app.inject({ url: '/assets/index-abc123.css' });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const missing = await app.inject({ url: '/assets/gone-000.js' });
  assert.equal(missing.statusCode, 404);
  assert.match(missing.body, /reload the page/);
});

test('no directory traversal out of assets/', async (t) => {
  const app = site(t);
  for (const url of ['/assets/..%2findex.html', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..\\..\\secret.txt', '/assets/x%00.js', '/assets/', '/assets/%2fetc%2fpasswd']) {
    const r = await app.inject({ url });
    assert.equal(r.statusCode, 404, url);
    assert.doesNotMatch(r.body, /do not serve|root:/, url);
  }
});

test('API paths and unknown paths are not shadowed', async (t) => {
  const app = site(t);
  const api = await app.inject({ url: '/compute/v2.1' });
  assert.deepEqual(api.json(), { version: 'v2.1' });
  for (const url of ['/metric/v1/resource', '/nothing', '/projectx']) {
    const r = await app.inject({ url });
    assert.equal(r.statusCode, 404, url);
    assert.deepEqual(r.json(), { error: 'api 404' });
  }
});

test('without a build, / says how to build the dashboard', async (t) => {
  const app = site(t, false);
  const r = await app.inject({ url: '/' });
  assert.equal(r.statusCode, 503);
  assert.match(r.headers['content-type'] as string, /^text\/html/);
  assert.match(r.body, /npm run build:dashboard/);
});
