/**
 * OCI runtime code shared by the compute `container` driver (system containers) and the
 * Kubernetes node agent's crun pod runtime: host command helpers, the crun/runc wrapper with
 * the v1-only cgroup mount namespace of hybrid hosts, shims, and v1 cgroup limits.
 */
export * from './host.js';
export * from './runtime.js';
export * from './shim.js';
export * from './cgroups.js';
