import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FsRegistryStorage } from './fs-storage.js';
import { MEDIA, sha256Digest } from './names.js';
import type { RegistryStorage } from './storage.js';
import { writeTar, type TarEntry } from './tar.js';

/**
 * Base images built on this machine from Debian packages, so pods run without the internet.
 *
 * `busybox`: one layer holding the host's static busybox (Debian `busybox-static`) as
 * `/bin/busybox`, a symbolic link for every applet it lists (`sh`, `wget`, `httpd`, `nslookup`,
 * `nc`…), a minimal `/etc` and the usual empty directories; owners 0:0 and mtime 0, so the same
 * binary always gives the same digests. Its config runs `sh` with the usual PATH.
 */
const BUSYBOX = '/bin/busybox';
/** Bump when the layout changes without the binary changing. */
const BUILDER_REVISION = 1;
export const BUSYBOX_REPOSITORY = 'library/busybox';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A built image: its blobs and manifest, ready to push. */
export interface BuiltImage {
  repository: string;
  tags: string[];
  /** Config and layer blobs, keyed by digest. */
  blobs: Map<string, Buffer>;
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

/** What `seedBaseImages` pushed. */
export interface SeededImage {
  repository: string;
  tags: string[];
  digest: string;
  /** Whether anything had to be uploaded (false: the registry already had it all). */
  uploaded: boolean;
}

const run = promisify(execFile);

/** The Go architecture name of this machine (the image config's `architecture`). */
export function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** True when an ELF file has no program interpreter (statically linked). */
function isStaticElf(b: Buffer): boolean {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  return true;
}

const memo = new Map<string, BuiltImage>();

/** Builds the busybox image from the host's `/bin/busybox` (cached in-process by the binary's content). */
export async function buildBusyboxImage(binary = BUSYBOX): Promise<BuiltImage> {
  let bin: Buffer;
  try {
    bin = await readFile(binary);
  } catch {
    throw new Error(`cannot build the busybox image: ${binary} is missing; install it with: apt-get install -y busybox-static`);
  }
  if (!isStaticElf(bin)) throw new Error(`cannot build the busybox image: ${binary} is not a static 64-bit ELF binary; install Debian's busybox-static (apt-get install -y busybox-static)`);
  const key = `${BUILDER_REVISION}:${hostArch()}:${createHash('sha256').update(bin).digest('hex')}`;
  const hit = memo.get(key);
  if (hit) return hit;

  const { stdout: list } = await run(binary, ['--list-full']);
  const applets = list.split('\n').filter((l) => /^[a-z0-9/_.-]+$/i.test(l) && l !== 'bin/busybox');
  const banner = (await run(binary, [], { encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout;
  const version = /BusyBox v(\d+\.\d+(?:\.\d+)?)/.exec(banner)?.[1];

  const dirs = new Map<string, number>([
    ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o755], ['root', 0o700], ['sbin', 0o755],
    ['sys', 0o755], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['var', 0o755], ['var/www', 0o755],
  ]);
  for (const a of applets) {
    const parts = a.split('/');
    for (let i = 1; i < parts.length; i++) if (!dirs.has(parts.slice(0, i).join('/'))) dirs.set(parts.slice(0, i).join('/'), 0o755);
  }
  const entries: TarEntry[] = [
    ...[...dirs].map(([path, mode]): TarEntry => ({ path, type: 'dir', mode })),
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: bin },
    ...applets.map((path): TarEntry => ({ path, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' })),
    { path: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n') },
    { path: 'etc/group', type: 'file', mode: 0o644, content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  ];
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tar = writeTar(entries);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      created: '1970-01-01T00:00:00Z',
      architecture: hostArch(),
      os: 'linux',
      config: { Env: [PATH_ENV], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: `stratus: busybox${version ? ` ${version}` : ''} from the host's ${binary} (Debian busybox-static)` }],
    }),
  );
  const layerDigest = sha256Digest(layer);
  const configDigest = sha256Digest(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA.ociLayerGzip, digest: layerDigest, size: layer.length }],
      annotations: { 'org.opencontainers.image.title': 'busybox', ...(version ? { 'org.opencontainers.image.version': version } : {}) },
    }),
  );
  const tags = ['latest'];
  if (version) {
    tags.push(version);
    const minor = version.split('.').slice(0, 2).join('.');
    if (minor !== version) tags.push(minor);
  }
  const built: BuiltImage = {
    repository: BUSYBOX_REPOSITORY,
    tags,
    blobs: new Map([
      [configDigest, config],
      [layerDigest, layer],
    ]),
    manifest,
    manifestDigest: sha256Digest(manifest),
    mediaType: MEDIA.ociManifest,
  };
  memo.set(key, built);
  return built;
}

/** Pushes an image over the distribution API (monolithic uploads; blobs already there are skipped). */
async function pushHttp(base: string, img: BuiltImage): Promise<boolean> {
  const repo = `${base.replace(/\/$/, '')}/v2/${img.repository}`;
  let uploaded = false;
  const fail = async (what: string, r: Response) => {
    throw new Error(`pushing ${img.repository} to ${base}: ${what} answered ${r.status}: ${await r.text()}`);
  };
  for (const [digest, bytes] of img.blobs) {
    const head = await fetch(`${repo}/blobs/${digest}`, { method: 'HEAD' });
    if (head.ok) continue;
    const r = await fetch(`${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: new Uint8Array(bytes), headers: { 'Content-Type': 'application/octet-stream' } });
    if (r.status !== 201) await fail(`upload of ${digest}`, r);
    uploaded = true;
  }
  for (const tag of img.tags) {
    const head = await fetch(`${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: img.mediaType } });
    if (head.ok && head.headers.get('docker-content-digest') === img.manifestDigest) continue;
    const r = await fetch(`${repo}/manifests/${tag}`, { method: 'PUT', body: new Uint8Array(img.manifest), headers: { 'Content-Type': img.mediaType } });
    if (r.status !== 201) await fail(`manifest ${tag}`, r);
    uploaded = true;
  }
  return uploaded;
}

/** Writes an image straight into a storage (for seeding before the server listens). */
async function pushStorage(storage: RegistryStorage, img: BuiltImage): Promise<boolean> {
  let uploaded = false;
  for (const [digest, bytes] of img.blobs) {
    if ((await storage.hasBlob(img.repository, digest)) && (await storage.blobSize(digest)) === bytes.length) continue;
    const id = await storage.createUpload(img.repository);
    await storage.appendUpload(id, Readable.from([bytes]));
    await storage.commitUpload(id, digest);
    uploaded = true;
  }
  for (const tag of img.tags) {
    if ((await storage.resolveTag(img.repository, tag)) === img.manifestDigest) continue;
    await storage.putManifest(img.repository, { digest: img.manifestDigest, mediaType: img.mediaType, bytes: img.manifest }, tag);
    uploaded = true;
  }
  return uploaded;
}

/**
 * Builds the base images and puts them into a registry: `target` is the registry's base URL
 * (`http://127.0.0.1:5001`, pushed over HTTP) or its data directory (written directly). Safe to
 * call at every start: the build is deterministic, and what the registry already holds is not
 * uploaded again.
 */
export async function seedBaseImages(target: string | RegistryStorage, opts: { log?: (line: string) => void } = {}): Promise<SeededImage[]> {
  const img = await buildBusyboxImage();
  const uploaded =
    typeof target !== 'string' ? await pushStorage(target, img) : /^https?:\/\//.test(target) ? await pushHttp(target, img) : await pushStorage(new FsRegistryStorage(target), img);
  if (uploaded) opts.log?.(`registry: seeded ${img.repository}:${img.tags.join(',')} (${img.manifestDigest.slice(0, 19)}…)`);
  return [{ repository: img.repository, tags: img.tags, digest: img.manifestDigest, uploaded }];
}
