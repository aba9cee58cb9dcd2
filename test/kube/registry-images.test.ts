import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ImagePullError, openImageCache } from '../../src/kube/images/index.js';
import { hostArch, seedBaseImages, startRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { MEDIA } from '../../src/registry/names.js';
import { writeTar } from '../../src/registry/tar.js';

// Base images built from the host's busybox, pushed into the registry, pulled by a node's cache.

const run = promisify(execFile);
const digestOf = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const isRoot = process.getuid?.() === 0;
const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;
let dir: string;
let reg: RunningRegistry;
let host: string;
const timings: string[] = [];

before(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'stratus-images-'));
  reg = await startRegistry({ dir: join(dir, 'registry'), host: '127.0.0.1', port: 0 });
  host = new URL(reg.url).host;
});
after(async () => {
  await reg?.close();
  await fsp.rm(dir, { recursive: true, force: true });
  if (timings.length) console.log(`# timings: ${timings.join('; ')}`);
});

async function pullError(p: Promise<unknown>): Promise<ImagePullError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof ImagePullError, `expected an ImagePullError, got ${String(e)}`);
  return e;
}

/** Pushes an image whose first layer is busybox's (mounted) and whose second is built here. */
async function pushDerived(name: string, tag: string, extra: Buffer, cmd: string[]): Promise<string> {
  const base = (await (await fetch(`${reg.url}/v2/library/busybox/manifests/latest`)).json()) as { layers: { digest: string; size: number; mediaType: string }[] };
  const baseLayer = base.layers[0]!;
  const m = await fetch(`${reg.url}/v2/${name}/blobs/uploads/?mount=${baseLayer.digest}&from=library/busybox`, { method: 'POST' });
  assert.equal(m.status, 201);
  const config = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: { Cmd: cmd, WorkingDir: '/srv', User: '65534' }, rootfs: { type: 'layers', diff_ids: [] } }));
  for (const b of [extra, config]) {
    const r = await fetch(`${reg.url}/v2/${name}/blobs/uploads/?digest=${digestOf(b)}`, { method: 'POST', body: new Uint8Array(b) });
    assert.equal(r.status, 201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: digestOf(config), size: config.length },
    layers: [baseLayer, { mediaType: MEDIA.ociLayerGzip, digest: digestOf(extra), size: extra.length }],
  });
  const r = await fetch(`${reg.url}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': MEDIA.ociManifest } });
  assert.equal(r.status, 201);
  return digestOf(manifest);
}

describe('base images', () => {
  it('builds busybox from the host binary and seeds it, idempotently and deterministically', async () => {
    let t = Date.now();
    const [first] = await seedBaseImages(reg.url);
    timings.push(`build+push busybox ${Date.now() - t} ms`);
    assert.equal(first!.repository, 'library/busybox');
    assert.ok(first!.uploaded);
    assert.ok(first!.tags.includes('latest') && first!.tags.some((x) => /^\d+\.\d+$/.test(x)), first!.tags.join(','));
    t = Date.now();
    const [again] = await seedBaseImages(reg.url);
    timings.push(`second seed ${Date.now() - t} ms`);
    assert.equal(again!.uploaded, false);
    assert.equal(again!.digest, first!.digest);
    const other = join(dir, 'registry-by-dir');
    const [direct] = await seedBaseImages(other);
    assert.equal(direct!.digest, first!.digest, 'the same binary gives the same image');
    const tags = (await (await fetch(`${reg.url}/v2/library/busybox/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, [...first!.tags].sort());
  });
});

describe('node image cache', () => {
  it('pulls busybox under every Docker spelling, unpacked once, with its config', async (t) => {
    const logs: string[] = [];
    const cache = openImageCache({ dir: join(dir, 'node-a'), registry: reg.url, log: (l) => logs.push(l) });
    const spellings = ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'library/busybox', `${host}/library/busybox:latest`];
    let t0 = Date.now();
    const images = await Promise.all(spellings.map((s) => cache.pull(s, 'IfNotPresent')));
    timings.push(`first pull (5 concurrent spellings) ${Date.now() - t0} ms`);
    assert.equal(new Set(images.map((i) => i.layers.join())).size, 1);
    assert.equal(logs.filter((l) => l.includes('unpacked layer')).length, 1, logs.join('\n'));
    const img = images[0]!;
    assert.equal(img.ref, 'docker.io/library/busybox:latest');
    assert.match(img.imageID, /^docker\.io\/library\/busybox@sha256:[a-f0-9]{64}$/);
    assert.deepEqual(img.config.cmd, ['sh']);
    assert.ok(img.config.env?.some((e) => e.startsWith('PATH=')));
    const root = img.layers[0]!;
    for (const applet of ['bin/sh', 'usr/bin/wget', 'usr/sbin/httpd', 'usr/bin/nslookup', 'usr/bin/nc']) assert.equal(await fsp.readlink(join(root, applet)), '/bin/busybox', applet);
    assert.deepEqual(await fsp.readFile(join(root, 'bin/busybox')), await fsp.readFile('/bin/busybox'));
    const before = await fsp.stat(root);
    t0 = Date.now();
    const again = await cache.pull('busybox', 'IfNotPresent');
    const ms = Date.now() - t0;
    timings.push(`cached pull ${ms} ms`);
    assert.ok(ms < 200, `a cached pull took ${ms} ms`);
    assert.deepEqual(again, img);
    const after = await fsp.stat(root);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    if (isRoot) {
      const out = await run('chroot', [root, '/bin/sh', '-c', 'echo hello from $(busybox | head -1 | cut -d" " -f1-2)'], { env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin' } });
      assert.match(out.stdout, /^hello from BusyBox v\d/);
    } else t.diagnostic('not root: did not run the image');
  });

  it('shares a base layer between images, and Always re-resolves a moved tag', async () => {
    const logs: string[] = [];
    const cache = openImageCache({ dir: join(dir, 'node-b'), registry: reg.url, log: (l) => logs.push(l) });
    const bb = await cache.pull('busybox', 'IfNotPresent');
    const layer = (files: Record<string, string>) =>
      gzipSync(writeTar([{ path: 'srv', type: 'dir', mode: 0o755 }, ...Object.entries(files).map(([p, c]) => ({ path: p, type: 'file' as const, mode: 0o644, content: Buffer.from(c) }))]));
    const d1 = await pushDerived('app/web', 'latest', layer({ 'srv/index.html': 'v1' }), ['httpd', '-f']);
    const web = await cache.pull('app/web', 'IfNotPresent');
    assert.equal(web.layers.length, 2);
    assert.equal(web.layers[0], bb.layers[0], 'the busybox layer is shared, not unpacked again');
    assert.equal(logs.filter((l) => l.includes('unpacked layer')).length, 2);
    assert.deepEqual(web.config, { cmd: ['httpd', '-f'], workingDir: '/srv', user: '65534' });
    assert.equal(web.imageID, `docker.io/app/web@${d1}`);
    assert.equal(await fsp.readFile(join(web.layers[1]!, 'srv/index.html'), 'utf8'), 'v1');

    const d2 = await pushDerived('app/web', 'latest', layer({ 'srv/index.html': 'v2' }), ['httpd', '-f']);
    assert.equal((await cache.pull('app/web', 'IfNotPresent')).imageID, `docker.io/app/web@${d1}`, 'IfNotPresent keeps the cached image');
    const fresh = await cache.pull('app/web:latest', 'Always');
    assert.equal(fresh.imageID, `docker.io/app/web@${d2}`);
    assert.equal(await fsp.readFile(join(fresh.layers[1]!, 'srv/index.html'), 'utf8'), 'v2');
    const byDigest = await cache.pull(`app/web@${d1}`, 'IfNotPresent');
    assert.equal(byDigest.imageID, `docker.io/app/web@${d1}`);
  });

  it('resolves an index to this node’s platform', async () => {
    const m = await fetch(`${reg.url}/v2/library/busybox/manifests/latest`);
    const bytes = Buffer.from(await m.arrayBuffer());
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: MEDIA.ociManifest, digest: digestOf(bytes), size: bytes.length, platform: { os: 'linux', architecture: hostArch() } }],
    });
    const put = await fetch(`${reg.url}/v2/library/busybox/manifests/multi`, { method: 'PUT', body: index, headers: { 'Content-Type': MEDIA.ociIndex } });
    assert.equal(put.status, 201);
    const cache = openImageCache({ dir: join(dir, 'node-c'), registry: reg.url });
    const img = await cache.pull('busybox:multi', 'IfNotPresent');
    assert.equal(img.imageID, `docker.io/library/busybox@${digestOf(index)}`);
    assert.deepEqual(img.config.cmd, ['sh']);
  });

  it('respects the pull policies, also with the registry gone', async () => {
    const nodeDir = join(dir, 'node-d');
    const cache = openImageCache({ dir: nodeDir, registry: reg.url });
    const never = await pullError(cache.pull('busybox', 'Never'));
    assert.equal(never.reason, 'ErrImageNeverPull');
    assert.match(never.message, /not present with pull policy of Never/);
    await cache.pull('busybox', 'IfNotPresent');
    const offline = openImageCache({ dir: nodeDir, registry: 'http://127.0.0.1:1' });
    assert.ok((await offline.pull('busybox', 'Never')).layers.length);
    assert.ok((await offline.pull('busybox', 'IfNotPresent')).layers.length);
    const always = await pullError(offline.pull('busybox', 'Always'));
    assert.equal(always.reason, 'ErrImagePull');
    assert.match(always.message, /cannot reach the registry/);
  });

  it('gives ErrImagePull and InvalidImageName with messages that say what to do', async () => {
    const cache = openImageCache({ dir: join(dir, 'node-e'), registry: reg.url });
    const unknown = await pullError(cache.pull('nginx:1.25', 'IfNotPresent'));
    assert.equal(unknown.reason, 'ErrImagePull');
    assert.match(unknown.message, /not in the Stratus registry/);
    assert.ok(unknown.message.includes(`docker://${host}/library/nginx:1.25`), unknown.message);
    const remote = await pullError(cache.pull('quay.io/prometheus/prometheus', 'Always'));
    assert.equal(remote.reason, 'ErrImagePull');
    assert.match(remote.message, /no internet access.*skopeo/);
    assert.equal((await pullError(cache.pull('Not/A Valid:ref', 'IfNotPresent'))).reason, 'InvalidImageName');
    assert.equal((await pullError(cache.pull('busybox:nosuchtag', 'IfNotPresent'))).reason, 'ErrImagePull');
  });

  it('interoperates with skopeo (copy between repositories, Docker v2s2 conversion, list-tags)', { skip: !hasSkopeo && 'skopeo is not installed' }, async () => {
    const t0 = Date.now();
    await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/library/busybox:latest`, `docker://${host}/copied/busybox:v1`]);
    timings.push(`skopeo copy ${Date.now() - t0} ms`);
    await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2', `docker://${host}/library/busybox:latest`, `docker://${host}/docker/busybox:v2s2`]);
    const tags = JSON.parse((await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${host}/library/busybox`])).stdout) as { Tags: string[] };
    assert.ok(tags.Tags.includes('latest'));
    const cache = openImageCache({ dir: join(dir, 'node-f'), registry: reg.url });
    const a = await cache.pull(`${host}/copied/busybox:v1`, 'IfNotPresent');
    const b = await cache.pull('docker/busybox:v2s2', 'IfNotPresent');
    assert.deepEqual(b.config.cmd, ['sh']);
    assert.equal(a.layers[0], b.layers[0], 'the same layer blob is unpacked once');
  });
});
