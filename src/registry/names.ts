import { createHash } from 'node:crypto';

/**
 * The grammar of the distribution spec: repository names (path components of lower-case
 * alphanumerics joined by `.`, `_`, `__` or dashes, separated by `/`), tags and digests.
 * NOTE: only `sha256` digests are accepted (the algorithm every client pushes by default);
 * a `sha512:` digest is answered with DIGEST_INVALID saying so.
 */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Longest repository name we accept (the spec suggests clients keep under 255). */
export const MAX_NAME = 255;

export function isName(name: string): boolean {
  return name.length <= MAX_NAME && NAME_RE.test(name);
}
export function isTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}
/** Looks like a digest of some algorithm (so a reference is a digest, not a tag). */
export function looksLikeDigest(s: string): boolean {
  return s.includes(':') && ANY_DIGEST_RE.test(s);
}
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
/** The hex part of a `sha256:` digest. */
export function hexOf(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** Manifest media types this registry stores and serves. */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList];
export const isIndexType = (t: string) => t === MEDIA.ociIndex || t === MEDIA.dockerList;
