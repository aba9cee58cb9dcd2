import { CrunRuntime } from '../agent/crun/index.js';
import { startClusterDns, stubCommand } from '../dns/index.js';
import { openImageCache, type ImageCache } from '../images/index.js';
import { join } from 'node:path';
import { blobBackedStorage, seedBaseImages, startRegistry, type RegistryStorage } from '../../registry/index.js';
// NOTE: this file is the kube side's composition point for real nodes, so it may pick a driver
// implementation (lint exception in eslint.config.js): the registry's bytes go to a BlobStore.
import { FsBlobStore } from '../../drivers/object/fs.js';

/**
 * The pieces real nodes are built from besides the node network: the crun pod runtime, cluster
 * DNS, the local registry and the per-node image cache, in one place so `real-nodes.ts` can
 * say which it runs.
 */
export type ImageCacheLike = ImageCache;

/**
 * The registry's storage for a kube data dir: image bytes in a file BlobStore
 * (`<dataDir>/blobs`, namespace `registry`), tags and uploads in `<dataDir>/registry`.
 */
export async function registryStorage(dataDir: string): Promise<RegistryStorage> {
  const blobs = new FsBlobStore(join(dataDir, 'blobs'));
  await blobs.recover();
  return blobBackedStorage(blobs, join(dataDir, 'registry'));
}

export interface Optional {
  CrunRuntime?: typeof CrunRuntime;
  startClusterDns?: typeof startClusterDns;
  stubCommand?: typeof stubCommand;
  startRegistry?: typeof startRegistry;
  seedBaseImages?: typeof seedBaseImages;
  openImageCache?: typeof openImageCache;
  /** Why a piece is missing (empty: all are built in). */
  missing: string[];
}

export async function loadOptional(): Promise<Optional> {
  return { CrunRuntime, startClusterDns, stubCommand, startRegistry, seedBaseImages, openImageCache, missing: [] };
}
