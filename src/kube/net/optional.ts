import { CrunRuntime } from '../agent/crun/index.js';
import { startClusterDns, stubCommand } from '../dns/index.js';
import { openImageCache, type ImageCache } from '../images/index.js';
import { seedBaseImages, startRegistry } from '../../registry/index.js';

/**
 * The pieces real nodes are built from besides the node network: the crun pod runtime, cluster
 * DNS, the local registry and the per-node image cache, in one place so `real-nodes.ts` can
 * say which it runs.
 */
export type ImageCacheLike = ImageCache;

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
