import { createHash } from 'node:crypto';
import { isoSeconds } from '../../../core/clock.js';
import type { Server } from '../logic/models.js';
import type { AddressEntry } from '../logic/ports.js';
import { instanceName } from '../logic/tasks/index.js';
import { showsProgress, statusOf } from '../logic/states.js';

/** What rendering a server needs besides the record. */
export interface ServerViewCtx {
  /** `http://host:port/compute` (links add `/v2.1/...` for self, nothing for bookmark). */
  base: string;
  admin: boolean;
  /** Addresses by server id, from the network service. */
  addresses: Map<string, Record<string, AddressEntry[]>>;
}

export type Link = { rel: string; href: string };

export function links(base: string, collection: string, id: string): Link[] {
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ];
}

/**
 * A small memo for values a list renders over and over (timestamps, host ids): the same input
 * always gives the same string, so a list of 1,000 servers formats and hashes each only once
 * across requests. Emptied when it reaches `max` entries, so it stays bounded.
 */
function memo<K, V>(max: number, fn: (k: K) => V): (k: K) => V {
  const m = new Map<K, V>();
  return (k) => {
    let v = m.get(k);
    if (v === undefined) {
      if (m.size >= max) m.clear();
      m.set(k, (v = fn(k)));
    }
    return v;
  };
}

const seconds = memo(20_000, isoSeconds);

/** Nova's `launched_at`: microseconds, no zone suffix. */
const usecOf = memo(20_000, (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000'));
function usec(ms: number | null): string | null {
  return ms === null ? null : usecOf(ms);
}

const hostHash = memo(10_000, (projectAndHost: string) => createHash('sha224').update(projectAndHost).digest('hex'));
function hostId(s: Server): string {
  return s.host ? hostHash(s.projectId + s.host) : '';
}

/** `addresses` with (detail) or without the OS-EXT-IPS extension keys. */
function addresses(s: Server, v: ServerViewCtx, extended: boolean): Record<string, unknown[]> {
  // The network service is the truth; the server's own record of its ports stands in when
  // that service could not answer.
  let byNet = v.addresses.get(s.id);
  if (!byNet) {
    byNet = {};
    for (const p of s.ports) byNet[p.networkName] = p.fixedIps.map((f) => ({ addr: f.ip, version: f.version, type: 'fixed' as const, mac: p.macAddress }));
  }
  const out: Record<string, unknown[]> = {};
  for (const [net, list] of Object.entries(byNet)) {
    out[net] = list.map((a) =>
      extended ? { version: a.version, addr: a.addr, 'OS-EXT-IPS:type': a.type, 'OS-EXT-IPS-MAC:mac_addr': a.mac.toLowerCase() } : { version: a.version, addr: a.addr },
    );
  }
  return out;
}

export function serverBrief(s: Server, base: string) {
  return { id: s.id, name: s.name, links: links(base, 'servers', s.id) };
}

/** The keys every server view has (Nova's basic view, as PUT and rebuild answer it at 2.1). */
export function serverBasic(s: Server, v: ServerViewCtx, extendedAddresses = false): Record<string, unknown> {
  const status = statusOf(s.vmState, s.taskState);
  const out: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: { ...s.metadata },
    hostId: hostId(s),
    image: s.imageId ? { id: s.imageId, links: [{ rel: 'bookmark', href: `${v.base}/images/${s.imageId}` }] } : '',
    flavor: { id: s.flavor.id, links: [{ rel: 'bookmark', href: `${v.base}/flavors/${s.flavor.id}` }] },
    created: seconds(s.createdAt),
    updated: seconds(s.updatedAt),
    addresses: addresses(s, v, extendedAddresses),
    accessIPv4: s.accessIPv4,
    accessIPv6: s.accessIPv6,
    links: links(v.base, 'servers', s.id),
    'OS-DCF:diskConfig': s.diskConfig,
  };
  if (showsProgress(status)) out.progress = status === 'ACTIVE' || status === 'VERIFY_RESIZE' ? 100 : 0;
  if (s.fault && (status === 'ERROR' || status === 'DELETED')) {
    const f = s.fault;
    out.fault = { code: f.code, created: isoSeconds(f.createdAt), message: f.message, ...(v.admin || f.code !== 500 ? { details: f.details } : {}) };
  }
  return out;
}

/** `GET /servers/{id}` and `/servers/detail` at 2.1: the basic keys plus the extensions. */
export function serverDetail(s: Server, v: ServerViewCtx): Record<string, unknown> {
  const out = serverBasic(s, v, true);
  if (s.securityGroups.length) out.security_groups = [...new Set(s.securityGroups.map((g) => g.name))].map((name) => ({ name }));
  Object.assign(out, {
    key_name: s.keyName,
    'OS-SRV-USG:launched_at': usec(s.launchedAt),
    'OS-SRV-USG:terminated_at': null,
    'OS-EXT-AZ:availability_zone': s.availabilityZone,
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:vm_state': s.vmState,
    'OS-EXT-STS:power_state': s.powerState,
    'os-extended-volumes:volumes_attached': s.blockDevices.filter((b) => b.volumeId && b.state !== 'pending').map((b) => ({ id: b.volumeId })),
    config_drive: s.configDrive ? 'True' : '',
  });
  if (v.admin) {
    Object.assign(out, {
      'OS-EXT-SRV-ATTR:host': s.host,
      'OS-EXT-SRV-ATTR:instance_name': instanceName(s),
      'OS-EXT-SRV-ATTR:hypervisor_hostname': s.node,
    });
  }
  return out;
}

/** The 202 body of a create: exactly these keys at 2.1. */
export function serverCreated(s: Server, adminPass: string, base: string) {
  return {
    id: s.id,
    links: links(base, 'servers', s.id),
    'OS-DCF:diskConfig': s.diskConfig,
    security_groups: [...new Set(s.securityGroups.map((g) => g.name))].map((name) => ({ name })),
    adminPass,
  };
}

/** `/servers/{id}/ips`: addresses without the extension keys. */
export function serverIps(s: Server, v: ServerViewCtx): Record<string, unknown[]> {
  return addresses(s, v, false);
}

/**
 * The JSON text of `serverDetail(s, v)` for a list. The view is a pure function of the record,
 * the base URL, admin-ness and the server's addresses, and list records are frozen objects the
 * store shares while the stored version is unchanged, so the text is kept per record object
 * and reused until any of those inputs differ (a list of 1,000 otherwise renders and
 * serialises every server on every request). Not for records a caller may still change.
 */
const detailJson = new WeakMap<Server, { key: string; json: string }>();
export function serverDetailJson(s: Server, v: ServerViewCtx): string {
  const key = `${v.base}\0${v.admin ? 1 : 0}\0${JSON.stringify(v.addresses.get(s.id) ?? null)}`;
  const hit = Object.isFrozen(s) ? detailJson.get(s) : undefined;
  if (hit && hit.key === key) return hit.json;
  const json = JSON.stringify(serverDetail(s, v));
  if (Object.isFrozen(s)) detailJson.set(s, { key, json });
  return json;
}
