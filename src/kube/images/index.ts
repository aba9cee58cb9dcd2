import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseImageRef, type ImageRef } from '../agent/image-ref.js';
import { RegistryClient, RegistryFetchError, type FetchedManifest } from './client.js';
import { unpackLayer } from './unpack.js';

/**
 * The per-node image cache: pulls images from the Stratus registry and keeps each layer
 * unpacked once, in a content-addressed directory that every pod's overlayfs uses as a
 * read-only lower layer.
 *
 * ```
 * <dir>/layers/<sha256 hex of the layer blob>/   an unpacked layer (complete once it exists)
 * <dir>/images/<sha256 hex of the manifest>.json the image: its layers and config
 * <dir>/refs/<sha256 hex of the reference>.json  which manifest a tag or digest named
 * <dir>/tmp/                                     downloads and half-unpacked layers
 * ```
 *
 * Contract:
 * - References are normalised like Docker: `busybox`, `busybox:latest`, `library/busybox` and
 *   `docker.io/library/busybox:latest` all mean `library/busybox:latest` in the local
 *   registry; so does a reference naming the registry's own host:port. Other registries give
 *   ErrImagePull (no internet).
 * - `Never`: only the cache answers (absent → ErrImageNeverPull). `IfNotPresent`: the cache if
 *   it has the reference, else a pull. `Always`: the tag is resolved again at the registry; when
 *   it still names a cached image, nothing is downloaded.
 * - Every manifest and blob is checked against its sha256 digest. A layer directory appears
 *   (by rename) only once fully unpacked, so a crash leaves only `tmp/`, cleared at open.
 * - Concurrent pulls of one reference share one pull; concurrent pulls of images sharing a
 *   layer download and unpack it once.
 * - Layer directories must be treated as read-only: nothing here or in overlayfs writes them.
 */
export interface ImageCache {
  pull(ref: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<LocalImage>;
}

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface LocalImage {
  /** The normalised reference (`docker.io/library/busybox:latest`). */
  ref: string;
  /** `<registry>/<repository>@sha256:<manifest digest>`, as `containerStatuses[].imageID`. */
  imageID: string;
  /** Unpacked read-only directories, lowest first (overlayfs takes them highest first). */
  layers: string[];
  config: ImageConfig;
}

export class ImagePullError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'InvalidImageName' | 'ErrImageNeverPull',
    message: string,
  ) {
    super(message);
  }
}

export interface ImageCacheOptions {
  /** This node's cache directory. */
  dir: string;
  /** Base URL of the Stratus registry, e.g. `http://127.0.0.1:5001`. */
  registry: string;
  log?: (line: string) => void;
}

/** What `images/<hex>.json` holds. */
interface ImageRecord {
  digest: string;
  layers: string[];
  config: ImageConfig;
}

const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
}

const hex = (digest: string) => digest.slice('sha256:'.length);
const hashHex = (s: string) => createHash('sha256').update(s).digest('hex');

export function openImageCache(opts: ImageCacheOptions): ImageCache {
  return new NodeImageCache(opts);
}

class NodeImageCache implements ImageCache {
  private readonly client: RegistryClient;
  private readonly registryHost: string;
  private readonly inflight = new Map<string, Promise<LocalImage>>();
  private readonly layerJobs = new Map<string, Promise<string>>();
  private readonly ready: Promise<void>;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ImageCacheOptions) {
    const base = opts.registry.replace(/\/+$/, '');
    this.client = new RegistryClient(base);
    this.registryHost = new URL(base).host;
    this.log = opts.log ?? (() => {});
    // A crash mid-pull leaves only tmp/: start from an empty one.
    this.ready = fsp.rm(join(opts.dir, 'tmp'), { recursive: true, force: true }).then(() => undefined);
  }

  /** Names the registry answers to: its URL's host:port, and the same port on localhost/127.0.0.1. */
  private isLocalRegistry(registry: string): boolean {
    if (registry === 'docker.io' || registry === this.registryHost) return true;
    const port = new URL(`http://${this.registryHost}`).port;
    return !!port && (registry === `localhost:${port}` || registry === `127.0.0.1:${port}`);
  }

  async pull(image: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<LocalImage> {
    const ref = parseImageRef(image);
    if (!ref) throw new ImagePullError('InvalidImageName', `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`);
    if (!this.isLocalRegistry(ref.registry)) {
      throw new ImagePullError(
        'ErrImagePull',
        `cannot pull "${image}" from ${ref.registry}: Stratus has no internet access; push the image to the Stratus registry at ${this.registryHost} (e.g. skopeo copy --dest-tls-verify=false docker-archive:image.tar docker://${this.registryHost}/${ref.repository}:${ref.tag ?? 'latest'}, or crane push / docker push) and use ${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`,
      );
    }
    await this.ready;
    const key = `${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
    const cached = await this.cached(ref, key);
    if (policy === 'Never') {
      if (cached) return cached;
      throw new ImagePullError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    }
    if (cached && (policy === 'IfNotPresent' || ref.digest)) return cached;
    let job = this.inflight.get(key);
    if (!job) {
      job = this.fetchImage(ref, key, image).finally(() => this.inflight.delete(key));
      this.inflight.set(key, job);
    }
    return job;
  }

  private refPath(key: string): string {
    return join(this.opts.dir, 'refs', `${hashHex(key)}.json`);
  }
  private imagePath(digest: string): string {
    return join(this.opts.dir, 'images', `${hex(digest)}.json`);
  }
  private layerPath(digest: string): string {
    return join(this.opts.dir, 'layers', hex(digest));
  }

  private local(ref: ImageRef, rec: ImageRecord): LocalImage {
    return { ref: ref.normalized, imageID: `${ref.registry}/${ref.repository}@${rec.digest}`, layers: rec.layers.map((d) => this.layerPath(d)), config: rec.config };
  }

  /** The image a reference names in this cache, when it and all its layers are here. */
  private async cached(ref: ImageRef, key: string): Promise<LocalImage | undefined> {
    try {
      const { digest } = JSON.parse(await fsp.readFile(this.refPath(key), 'utf8')) as { digest: string };
      return await this.complete(ref, digest);
    } catch {
      return undefined;
    }
  }

  private async complete(ref: ImageRef, digest: string): Promise<LocalImage | undefined> {
    const rec = JSON.parse(await fsp.readFile(this.imagePath(digest), 'utf8').catch(() => 'null')) as ImageRecord | null;
    if (!rec) return undefined;
    for (const l of rec.layers) if (!(await fsp.stat(this.layerPath(l)).catch(() => undefined))) return undefined;
    return this.local(ref, rec);
  }

  private async fetchImage(ref: ImageRef, key: string, image: string): Promise<LocalImage> {
    const started = Date.now();
    try {
      const top = await this.client.manifest(ref.repository, ref.digest ?? ref.tag!);
      const have = await this.complete(ref, top.digest);
      if (have) {
        await this.writeJson(this.refPath(key), { ref: key, digest: top.digest });
        return have;
      }
      const manifest = INDEX_TYPES.has(top.mediaType) ? await this.platformManifest(ref, top) : top;
      if (!IMAGE_TYPES.has(manifest.mediaType)) throw new ImagePullError('ErrImagePull', `image "${image}" has a manifest of type ${manifest.mediaType || 'unknown'}, which is not an image (expected an OCI or Docker schema 2 image manifest or index)`);
      const m = JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: string }; layers?: { digest?: string; mediaType?: string }[] };
      const configDigest = m.config?.digest;
      if (typeof configDigest !== 'string' || !Array.isArray(m.layers)) throw new ImagePullError('ErrImagePull', `image "${image}" has a malformed manifest (no config or layers)`);
      for (const l of m.layers) {
        if (typeof l.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(l.digest)) throw new ImagePullError('ErrImagePull', `image "${image}" lists a layer without a sha256 digest`);
        if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) throw new ImagePullError('ErrImagePull', `image "${image}" has a layer of type ${l.mediaType}, which this node cannot unpack`);
      }
      const cfg = JSON.parse((await this.client.blobBytes(ref.repository, configDigest)).toString('utf8')) as { config?: Record<string, unknown> };
      const c = cfg.config ?? {};
      const strings = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
      const config: ImageConfig = {};
      if (strings(c.Entrypoint)) config.entrypoint = strings(c.Entrypoint);
      if (strings(c.Cmd)) config.cmd = strings(c.Cmd);
      if (strings(c.Env)) config.env = strings(c.Env);
      if (typeof c.WorkingDir === 'string' && c.WorkingDir) config.workingDir = c.WorkingDir;
      if (typeof c.User === 'string' && c.User) config.user = c.User;
      const layers = m.layers.map((l) => l.digest!);
      await Promise.all(layers.map((d) => this.ensureLayer(ref.repository, d)));
      const rec: ImageRecord = { digest: top.digest, layers, config };
      await this.writeJson(this.imagePath(top.digest), rec);
      await this.writeJson(this.refPath(key), { ref: key, digest: top.digest });
      this.log(`images: pulled ${ref.normalized} (${top.digest.slice(0, 19)}…, ${layers.length} layer(s)) in ${Date.now() - started} ms`);
      return this.local(ref, rec);
    } catch (e) {
      if (e instanceof ImagePullError) throw e;
      if (e instanceof RegistryFetchError && e.status === 404) {
        throw new ImagePullError(
          'ErrImagePull',
          `image "${image}" is not in the Stratus registry at ${this.registryHost} (${e.message}); there is no internet access: push it there first with skopeo/crane/docker push, e.g. skopeo copy --dest-tls-verify=false docker-archive:image.tar docker://${this.registryHost}/${ref.repository}:${ref.tag ?? 'latest'}`,
        );
      }
      throw new ImagePullError('ErrImagePull', `failed to pull "${image}" from the Stratus registry at ${this.registryHost}: ${(e as Error).message}`);
    }
  }

  /** Picks this node's platform (linux/<arch>) from an index and fetches that manifest. */
  private async platformManifest(ref: ImageRef, index: FetchedManifest): Promise<FetchedManifest> {
    const list = (JSON.parse(index.bytes.toString('utf8')) as { manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[] }).manifests ?? [];
    const arch = goArch();
    const pick = list.find((d) => d.platform?.os === 'linux' && d.platform?.architecture === arch && typeof d.digest === 'string');
    if (!pick) {
      const have = list.map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).join(', ') || 'none';
      throw new ImagePullError('ErrImagePull', `image ${ref.normalized} has no linux/${arch} variant (it has: ${have})`);
    }
    return this.client.manifest(ref.repository, pick.digest!);
  }

  /** Downloads and unpacks one layer unless it is already here; concurrent callers share the work. */
  private ensureLayer(repo: string, digest: string): Promise<string> {
    let job = this.layerJobs.get(digest);
    if (!job) {
      job = this.unpackOnce(repo, digest).finally(() => this.layerJobs.delete(digest));
      this.layerJobs.set(digest, job);
    }
    return job;
  }

  private async unpackOnce(repo: string, digest: string): Promise<string> {
    const final = this.layerPath(digest);
    if (await fsp.stat(final).catch(() => undefined)) return final;
    const tmp = join(this.opts.dir, 'tmp');
    const blob = await this.client.blobToFile(repo, digest, tmp);
    const work = join(tmp, `${randomBytes(8).toString('hex')}.layer`);
    try {
      const t0 = Date.now();
      const { whiteouts, opaque } = await unpackLayer(blob, work);
      await fsp.mkdir(join(this.opts.dir, 'layers'), { recursive: true });
      await fsp.rename(work, final).catch(async (e: NodeJS.ErrnoException) => {
        // Another process on this node unpacked it first: theirs is as good as ours.
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
      this.log(`images: unpacked layer ${digest.slice(0, 19)}… in ${Date.now() - t0} ms${whiteouts + opaque ? ` (${whiteouts} whiteouts, ${opaque} opaque dirs)` : ''}`);
      return final;
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
      await fsp.rm(blob, { force: true });
    }
  }

  private async writeJson(path: string, value: unknown): Promise<void> {
    const tmpDir = join(this.opts.dir, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.json`);
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(JSON.stringify(value));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.mkdir(join(path, '..'), { recursive: true });
    await fsp.rename(tmp, path);
  }
}
