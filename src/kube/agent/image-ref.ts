/**
 * Image references as a container runtime reads them: `busybox` is
 * `docker.io/library/busybox:latest`, `myreg:5000/app` has registry `myreg:5000`. Shared by
 * runtimes (fake now, crun later) so both reject and normalize names alike.
 */
export interface ImageRef {
  registry: string;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** `registry/repository:tag` or `registry/repository@digest`. */
  normalized: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** Parses a reference; undefined when it is not a valid one (the kubelet's InvalidImageName). */
export function parseImageRef(image: string): ImageRef | undefined {
  if (!image || image.length > 4096 || /\s/.test(image)) return undefined;
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
    if (!/^[a-zA-Z0-9.-]+(:\d+)?$/.test(registry)) return undefined;
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!tag && !digest) tag = 'latest';
  const normalized = `${registry}/${repository}${digest ? `@${digest}` : `:${tag}`}`;
  return { registry, repository, tag, digest, normalized };
}
