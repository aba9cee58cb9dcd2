/**
 * The Stratus OCI registry: the distribution API v2 over a storage interface, a file storage,
 * and the locally built base images. `startRegistry` is what the cluster wiring calls.
 */
export { startRegistry, createRegistryHandler, type RunningRegistry, type StartRegistryOptions } from './server.js';
export { FsRegistryStorage } from './fs-storage.js';
export { BlobRegistryStorage, blobBackedStorage, REGISTRY_BLOB_NAMESPACE } from './blob-storage.js';
export type { RegistryStorage, ManifestRecord, UploadState } from './storage.js';
export { RegistryError } from './errors.js';
export { collectGarbage, startGarbageCollector, DEFAULT_GC_GRACE_MS, type GcOptions, type GcReport, type GarbageCollector, type CollectableStorage } from './gc.js';
export { seedBaseImages, buildBusyboxImage, hostArch, BUSYBOX_REPOSITORY, type SeededImage, type BuiltImage } from './base-images.js';
export { MEDIA } from './names.js';
