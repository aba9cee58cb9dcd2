import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * A minimal client for the OCI distribution API, as an image puller needs it: fetch a manifest
 * (any of the four manifest media types) and fetch blobs, verifying every byte against its
 * sha256 digest. Errors are RegistryFetchError with the HTTP status (0 when the registry could
 * not be reached) and the registry's own message.
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class RegistryFetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryFetchError(0, `cannot reach the registry at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

async function registryMessage(r: Response): Promise<string> {
  const text = await r.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return `${e.code ?? 'ERROR'}: ${e.message ?? ''}`.trim();
  } catch {
    // not JSON: use the text
  }
  return text.slice(0, 200) || r.statusText;
}

export class RegistryClient {
  constructor(readonly base: string) {}

  /** GET a manifest by tag or digest; checks its bytes against the digest asked for and the one the registry reports. */
  async manifest(repo: string, ref: string): Promise<FetchedManifest> {
    const r = await request(`${this.base}/v2/${repo}/manifests/${ref}`, { headers: { Accept: MANIFEST_ACCEPT } }, 30_000);
    if (!r.ok) throw new RegistryFetchError(r.status, await registryMessage(r));
    const bytes = Buffer.from(await r.arrayBuffer());
    const digest = sha256(bytes);
    const reported = r.headers.get('docker-content-digest');
    if (reported && reported !== digest) throw new RegistryFetchError(502, `manifest ${repo}:${ref} has digest ${digest} but the registry said ${reported}`);
    if (DIGEST_RE.test(ref) && ref !== digest) throw new RegistryFetchError(502, `manifest ${repo}@${ref} arrived with digest ${digest}`);
    let mediaType = r.headers.get('content-type')?.split(';')[0]!.trim() ?? '';
    if (!mediaType || mediaType === 'application/json' || mediaType === 'application/octet-stream') {
      try {
        mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType;
      } catch {
        // left as is; the caller rejects what it cannot read
      }
    }
    return { digest, mediaType, bytes };
  }

  /** GET a small blob into memory (a config), verified. */
  async blobBytes(repo: string, digest: string, limit = 8 << 20): Promise<Buffer> {
    const r = await request(`${this.base}/v2/${repo}/blobs/${digest}`, {}, 60_000);
    if (!r.ok) throw new RegistryFetchError(r.status, await registryMessage(r));
    const bytes = Buffer.from(await r.arrayBuffer());
    if (bytes.length > limit) throw new RegistryFetchError(502, `blob ${digest} is larger than ${limit} bytes`);
    if (sha256(bytes) !== digest) throw new RegistryFetchError(502, `blob ${digest} arrived with digest ${sha256(bytes)}`);
    return bytes;
  }

  /** Streams a blob into a new file under `dir`, hashing as it goes; removes the file and throws on a mismatch. */
  async blobToFile(repo: string, digest: string, dir: string): Promise<string> {
    const r = await request(`${this.base}/v2/${repo}/blobs/${digest}`, {}, 30 * 60_000);
    if (!r.ok || !r.body) throw new RegistryFetchError(r.status, await registryMessage(r));
    await fsp.mkdir(dir, { recursive: true });
    const path = join(dir, `${randomBytes(8).toString('hex')}.blob`);
    const h = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        h.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(r.body as WebReadableStream<Uint8Array>), hasher, createWriteStream(path, { highWaterMark: 1 << 20 }));
      const actual = `sha256:${h.digest('hex')}`;
      if (actual !== digest) throw new RegistryFetchError(502, `blob ${digest} arrived with digest ${actual}`);
      return path;
    } catch (e) {
      await fsp.rm(path, { force: true });
      if (e instanceof RegistryFetchError) throw e;
      throw new RegistryFetchError(0, `download of blob ${digest} failed: ${(e as Error).message}`);
    }
  }
}
