import type { Readable } from 'node:stream';

/**
 * The blob store: bulk bytes (image data, Swift objects, volume files later) live here, while
 * their metadata lives in the Store. Keys are opaque, write-once names chosen by the caller
 * (`<namespace>/<id>`, characters `[A-Za-z0-9._-]` and `/`); to replace content, write a new
 * key, commit the metadata that points at it, then delete the old key.
 *
 * Contract (checked by contract.ts against every implementation):
 * - `put` streams the source into a temporary file, hashing as it goes, then fsyncs and
 *   renames it into place. When the promise resolves the blob is durable. When the source
 *   fails, is aborted, or exceeds `maxBytes`, the promise rejects and nothing is visible or left
 *   behind. Memory use does not grow with the blob size.
 * - `put` on an existing key rejects with BlobExists (keys are write-once).
 * - `open` rejects with BlobNotFound for a missing key; `range` is inclusive, and clipped to
 *   the blob's size by the caller (an unsatisfiable range is the caller's 416 to give).
 * - `delete` is idempotent and returns whether something was removed.
 * - `keys(namespace)` lists committed keys, so owners can remove orphans after a crash.
 * - `recover()` removes temporary files a crash left behind; call it at start-up.
 */
export interface BlobStore {
  put(key: string, source: Readable | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<PutResult>;
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<boolean>;
  keys(namespace: string): AsyncIterable<string>;
  recover(): Promise<number>;
}

export type HashName = 'md5' | 'sha256' | 'sha512';

export interface PutOptions {
  /** Reject (and discard) once more than this many bytes arrive. */
  maxBytes?: number;
  /** Digests to compute while streaming (hex). md5 is always computed. */
  hashes?: HashName[];
}

export interface PutResult {
  size: number;
  hashes: Partial<Record<HashName, string>> & { md5: string };
}

export class BlobNotFound extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
  }
}
export class BlobExists extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} already exists`);
  }
}
export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`blob exceeds ${limit} bytes`);
  }
}

const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
export function checkKey(key: string): string {
  if (!KEY_RE.test(key) || key.split('/').some((p) => p === '.' || p === '..')) throw new Error(`invalid blob key ${key}`);
  return key;
}
