// The host helpers live in src/dataplane/oci (shared with the Kubernetes pod runtime).
export { HostError, Mutex, mountPoints, pidAlive, sh, sleep, startTime, until, type HostResult } from '../../../dataplane/oci/host.js';

/** The optional inventory of G's data plane (src/dataplane/inventory.ts), typed structurally. */
export interface InventoryLike {
  record(e: { kind: 'netns' | 'pid' | 'mount' | 'loop' | 'dir' | 'cgroup'; key: string; startTime?: string; note?: string; owner?: string }): void;
  forget(kind: 'netns' | 'pid' | 'mount' | 'loop' | 'dir' | 'cgroup', key: string): void;
}
