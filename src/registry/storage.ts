import type { Readable } from 'node:stream';

/** A stored manifest: its exact bytes (the digest covers them) and the media type it was pushed with. */
export interface ManifestRecord {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** An upload in progress: the repository it was started in and the bytes received so far. */
export interface UploadState {
  name: string;
  size: number;
}

/**
 * Where the registry keeps its data. Two kinds of data, kept apart so that the bulk part lives in
 * Stratus's `BlobStore` (BlobRegistryStorage: write-once keys `registry/sha256/<hex>`) or in
 * files (FsRegistryStorage), while the small mutable part (tags, which repository holds which
 * blob and manifest, uploads in progress) stays in a directory (DirRecordsStorage):
 *
 * - **Blobs** (layers, configs and manifest bytes) are global, content-addressed and write-once.
 *   A blob becomes visible only once its whole content is durable and its sha256 matches its
 *   name; a crash never exposes a partial blob.
 * - **Repository links** say which blobs and manifests a repository holds, and which manifest
 *   each tag points at. A blob is served from a repository only when linked to it (a cross-repo
 *   mount adds a link without copying bytes).
 *
 * Contract:
 * - `appendUpload` appends the whole source or nothing: when the source fails part-way the upload
 *   is truncated back to its previous size and the promise rejects. Only one append or commit
 *   runs per upload at a time; a second one is refused with BLOB_UPLOAD_INVALID.
 * - `commitUpload` checks the received bytes against `digest`; on a mismatch the upload is
 *   discarded and it throws DIGEST_INVALID. On success the blob is linked into the upload's
 *   repository and the upload is gone. Committing content that already exists is a no-op.
 * - `putManifest` is idempotent; setting a tag replaces what it pointed at, atomically.
 * - `deleteManifest` removes the manifest from the repository and every tag pointing at it; the
 *   global bytes stay until the garbage collector (gc.ts) finds nothing references them.
 * - `referencing` runs a push's check-then-write (a mount, a manifest put) so that garbage
 *   collection never runs in between; `commitUpload` does so by itself. Calls must not nest.
 * - Unknown repositories, blobs, tags and uploads give `undefined`/`false`, never a throw.
 */
export interface RegistryStorage {
  blobSize(digest: string): Promise<number | undefined>;
  /** Inclusive byte range, already clipped by the caller. */
  openBlob(digest: string, range?: { start: number; end: number }): Promise<Readable>;

  createUpload(name: string): Promise<string>;
  upload(id: string): Promise<UploadState | undefined>;
  appendUpload(id: string, source: AsyncIterable<Uint8Array>): Promise<number>;
  commitUpload(id: string, digest: string): Promise<{ size: number }>;
  cancelUpload(id: string): Promise<boolean>;

  linkBlob(name: string, digest: string): Promise<void>;
  hasBlob(name: string, digest: string): Promise<boolean>;
  unlinkBlob(name: string, digest: string): Promise<boolean>;

  putManifest(name: string, manifest: ManifestRecord, tag?: string): Promise<void>;
  getManifest(name: string, digest: string): Promise<ManifestRecord | undefined>;
  resolveTag(name: string, tag: string): Promise<string | undefined>;
  /** Sorted tags; undefined when the repository does not exist. */
  tags(name: string): Promise<string[] | undefined>;
  deleteTag(name: string, tag: string): Promise<boolean>;
  deleteManifest(name: string, digest: string): Promise<boolean>;
  /** Sorted names of every repository holding at least one blob or manifest. */
  repositories(): Promise<string[]>;

  referencing<T>(fn: () => Promise<T>): Promise<T>;

  /** Removes temporary files a crash left behind; call it at start-up. */
  recover(): Promise<void>;
}
