import { RegistryError } from './errors.js';
import { isDigest, isIndexType, MANIFEST_TYPES, MEDIA } from './names.js';

/** A content descriptor as it appears in manifests and indexes. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** What the registry needs to know about a pushed manifest to check it. */
export interface ParsedManifest {
  mediaType: string;
  /** For image manifests: the config, then the layers. */
  blobs: Descriptor[];
  /** For indexes and manifest lists: the manifests they list. */
  manifests: Descriptor[];
}

/** The largest manifest accepted (the spec's suggested limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const invalid = (message: string) => new RegistryError('MANIFEST_INVALID', 400, message);
const SUPPORTED = `this registry stores ${MANIFEST_TYPES.join(', ')}`;

function descriptor(v: unknown, where: string): Descriptor {
  if (!v || typeof v !== 'object') throw invalid(`${where} must be a descriptor object`);
  const d = v as Record<string, unknown>;
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw invalid(`${where}.digest must be a sha256:<64 hex> digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw invalid(`${where}.mediaType must be a string`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.platform && typeof d.platform === 'object') out.platform = d.platform as Descriptor['platform'];
  return out;
}

/**
 * Parses and checks a pushed manifest. The media type comes from the request's Content-Type,
 * else from the body's `mediaType`, else from its shape (`manifests` → OCI index, `layers` →
 * OCI image manifest); when both name one they must agree. Throws MANIFEST_INVALID saying what
 * is wrong.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(`the manifest is not valid JSON: ${(e as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('the manifest must be a JSON object');
  const m = body as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw invalid(`schemaVersion must be 2 (Docker schema 1 is not supported; ${SUPPORTED})`);
  const header = contentType?.split(';')[0]!.trim().toLowerCase();
  const fromHeader = header && MANIFEST_TYPES.includes(header) ? header : undefined;
  if (header && !fromHeader && header !== 'application/json' && header !== 'application/octet-stream') {
    throw invalid(`unsupported manifest media type ${header}: ${SUPPORTED}`);
  }
  const fromBody = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (fromBody !== undefined && !MANIFEST_TYPES.includes(fromBody)) throw invalid(`unsupported manifest media type ${fromBody}: ${SUPPORTED}`);
  if (fromHeader && fromBody && fromHeader !== fromBody) throw invalid(`Content-Type ${fromHeader} does not match the manifest's mediaType ${fromBody}`);
  const mediaType = fromHeader ?? fromBody ?? (Array.isArray(m.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);

  if (isIndexType(mediaType)) {
    if (!Array.isArray(m.manifests)) throw invalid('an index must have a manifests array');
    return { mediaType, blobs: [], manifests: m.manifests.map((d, i) => descriptor(d, `manifests[${i}]`)) };
  }
  if (!Array.isArray(m.layers)) throw invalid('an image manifest must have a layers array');
  const config = descriptor(m.config, 'config');
  return { mediaType, blobs: [config, ...m.layers.map((d, i) => descriptor(d, `layers[${i}]`))], manifests: [] };
}

/** Whether an Accept header allows a manifest of this media type (no Accept, or a wildcard, allows any). */
export function acceptable(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  const types = accept
    .split(',')
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter(Boolean);
  return types.length === 0 || types.includes(mediaType) || types.includes('*/*') || types.includes('application/*') || types.includes('application/json');
}
