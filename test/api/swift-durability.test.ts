// Crash safety of Swift objects: `kill -9` of a real `stratus up` in the middle of large
// uploads, then a restart on the same data dir. No partial object may become visible, an
// object being overwritten keeps its old bytes, and no orphan blob file is left behind.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/cloud.js';
import { stratusUp, type UpProcess } from './swift-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;

async function session(url: string): Promise<{ token: string; base: string }> {
  const auth = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret' } } },
      scope: { project: { name: 'demo', domain: { id: 'default' } } },
    },
  };
  const r = await fetch(`${url}/identity/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(auth) });
  assert.equal(r.status, 201);
  const body = (await r.json()) as any;
  const ep = body.token.catalog.find((s: any) => s.type === 'object-store').endpoints.find((e: any) => e.interface === 'public');
  return { token: r.headers.get('x-subject-token')!, base: ep.url };
}

/**
 * Starts a PUT of `total` bytes and writes `sent` of them, then leaves the request open.
 * Resolves once the server has them (the request stays pending until the server dies).
 */
function partialUpload(base: string, token: string, name: string, total: number, sent: number): Promise<void> {
  const u = new URL(`${base}/${name}`);
  return new Promise((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { 'x-auth-token': token, 'content-length': total } });
    req.on('error', () => undefined);
    req.on('response', (res) => res.resume());
    const chunk = randomBytes(MiB);
    let written = 0;
    const pump = () => {
      while (written < sent) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as any).path, e.name));
}

describe('swift: kill -9 during uploads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-swift-crash-'));
  const running: UpProcess[] = [];
  after(async () => {
    for (const u of running) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGKILL');
    await Promise.all(running.map((u) => u.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no partial object, keeps the old bytes of an overwritten one, and no orphan blobs', { timeout: 120_000 }, async () => {
    const first = await stratusUp(ROOT, dir);
    running.push(first);
    let { token, base } = await session(first.url);
    const kept = randomBytes(200_000);
    const keptMd5 = createHash('md5').update(kept).digest('hex');
    assert.equal((await fetch(`${base}/box`, { method: 'PUT', headers: { 'x-auth-token': token } })).status, 201);
    assert.equal((await fetch(`${base}/box/kept`, { method: 'PUT', headers: { 'x-auth-token': token }, body: kept })).status, 201);

    // Two large uploads in flight: a new object, and an overwrite of `kept`.
    await Promise.all([
      partialUpload(base, token, 'box/big', 512 * MiB, 24 * MiB),
      partialUpload(base, token, 'box/kept', 256 * MiB, 16 * MiB),
    ]);
    const tmp = join(dir, 'blobs', 'tmp');
    await eventually(async () => filesUnder(tmp).reduce((n, f) => n + statSync(f).size, 0) >= 30 * MiB, 20_000);
    process.kill(first.child.pid!, 'SIGKILL');
    await first.exited;

    // A crash between a blob's rename and its record's commit leaves a blob nobody points to.
    mkdirSync(join(dir, 'blobs', 'data', 'objects', 'zz'), { recursive: true });
    writeFileSync(join(dir, 'blobs', 'data', 'objects', 'zz', 'orphan-after-rename'), 'orphan');
    assert.ok(filesUnder(tmp).length >= 2, 'the crash left temporary upload files');

    const second = await stratusUp(ROOT, dir);
    running.push(second);
    ({ token, base } = await session(second.url));
    assert.equal((await fetch(`${base}/box/big`, { method: 'HEAD', headers: { 'x-auth-token': token } })).status, 404);
    const g = await fetch(`${base}/box/kept`, { headers: { 'x-auth-token': token } });
    assert.equal(g.status, 200);
    const body = Buffer.from(await g.arrayBuffer());
    assert.equal(createHash('md5').update(body).digest('hex'), keptMd5);
    const list = await fetch(`${base}/box`, { headers: { 'x-auth-token': token } });
    assert.equal(await list.text(), 'kept\n');
    assert.equal(list.headers.get('x-container-object-count'), '1');
    assert.equal(list.headers.get('x-container-bytes-used'), String(kept.length));

    assert.deepEqual(filesUnder(tmp), [], 'no temporary upload files remain');
    const objects = join(dir, 'blobs', 'data', 'objects');
    await eventually(async () => filesUnder(objects).length === 1, 10_000).catch(() => undefined);
    const blobs = filesUnder(objects);
    assert.equal(blobs.length, 1, `only the kept object's blob remains: ${blobs.join(', ')}`);
    assert.equal(statSync(blobs[0]!).size, kept.length);

    second.child.kill('SIGTERM');
    await second.exited;
  });
});
