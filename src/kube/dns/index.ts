/**
 * Cluster DNS: the resolver of the control plane (`ClusterZone`, served on a unix socket by
 * `startClusterDns`) and the per-node stub that answers pods on UDP/TCP 53 and forwards over
 * that socket (`stub.ts`, run through `stubCommand`).
 */
export { startClusterDns, type ClusterDns, type ClusterDnsOptions } from './server.js';
export { ClusterZone, type ZoneOptions } from './zone.js';
export { startStub, stubCommand, type DnsStub, type StubOptions } from './stub.js';
export { dnsQuery, exchange, buildQuery, type DnsTarget, type QueryOptions } from './client.js';
