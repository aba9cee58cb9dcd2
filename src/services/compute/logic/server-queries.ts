import { E } from './errors.js';
import type { Caller, Server } from './models.js';
import type { Quotas } from './quotas.js';
import type { ServerRecords } from './servers.js';
import { requireState, statusOf } from './states.js';

export interface ServerQuery {
  /** Nova's `name` filter: a regular expression searched in the name. */
  name?: RegExp;
  status?: string;
  imageId?: string;
  flavorId?: string;
  /** Only servers changed at or after this time (ms). */
  changesSince?: number;
  ip?: RegExp;
  reservationId?: string;
  host?: string;
  /** Admin only: every project, or the one in `projectId`. */
  allTenants: boolean;
  projectId?: string;
  limit?: number;
  marker?: string;
}

export interface ServerPage {
  /** Deeply frozen, possibly shared with other readers: render them, never change them. */
  servers: readonly Server[];
  /** More servers follow the last one (a `servers_links` next link is due). */
  more: boolean;
}

export interface ServerPatch {
  name?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  diskConfig?: 'MANUAL' | 'AUTO';
}

function matches(s: Server, q: ServerQuery): boolean {
  if (q.name && !q.name.test(s.name)) return false;
  if (q.status !== undefined && statusOf(s.vmState, s.taskState) !== q.status) return false;
  if (q.imageId !== undefined && s.imageId !== q.imageId) return false;
  if (q.flavorId !== undefined && s.flavor.id !== q.flavorId) return false;
  if (q.changesSince !== undefined && s.updatedAt < q.changesSince) return false;
  if (q.reservationId !== undefined && s.reservationId !== q.reservationId) return false;
  if (q.host !== undefined && s.host !== q.host) return false;
  if (q.ip && !s.ports.some((p) => p.fixedIps.some((f) => q.ip!.test(f.ip)))) return false;
  return true;
}

/** Lists, updates and server metadata (everything on a server that is not an action). */
export class ServerQueries {
  constructor(
    private readonly servers: ServerRecords,
    private readonly quotas: Quotas,
  ) {}

  /** Newest first (Nova's default sort: created_at desc, id desc), after the marker. */
  async list(caller: Caller, q: ServerQuery): Promise<ServerPage> {
    if (q.allTenants && !caller.admin) throw E.forbidden('Policy does not allow os_compute_api:servers:index:get_all_tenants to be performed.');
    const project = q.allTenants ? q.projectId : caller.projectId;
    let rows = (await this.servers.allShared(project ? { projectId: project } : undefined)).slice().reverse();
    if (q.marker !== undefined) {
      const i = rows.findIndex((s) => s.id === q.marker);
      if (i < 0) throw E.bad(`marker [${q.marker}] not found`, 'MarkerNotFound');
      rows = rows.slice(i + 1);
    }
    const list = rows.filter((s) => matches(s, q));
    if (q.limit === undefined || list.length <= q.limit) return { servers: list, more: false };
    return { servers: list.slice(0, q.limit), more: true };
  }

  async update(caller: Caller, id: string, patch: ServerPatch): Promise<Server> {
    await this.servers.find(caller, id);
    return this.servers.mutate(id, (s) => ({ ...s, ...patch }));
  }

  private async checkCount(projectId: string, n: number): Promise<void> {
    const limit = (await this.quotas.limits(projectId)).metadata_items;
    if (limit >= 0 && n > limit) throw E.quota('metadata_items', n, 0, limit);
  }

  /** Replaces (`replace`) or merges the server's metadata; 403 past the metadata_items quota. */
  async setMetadata(caller: Caller, id: string, items: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const cur = await this.servers.find(caller, id);
    const next = replace ? { ...items } : { ...cur.metadata, ...items };
    await this.checkCount(cur.projectId, Object.keys(next).length);
    const out = await this.servers.mutate(id, (s) => {
      requireState(s, 'updateMetadata', caller);
      return { ...s, metadata: replace ? { ...items } : { ...s.metadata, ...items } };
    });
    return out.metadata;
  }

  async metadataItem(caller: Caller, id: string, key: string): Promise<string> {
    const s = await this.servers.find(caller, id);
    if (!(key in s.metadata)) throw E.metadataNotFound(key);
    return s.metadata[key]!;
  }

  async deleteMetadataItem(caller: Caller, id: string, key: string): Promise<void> {
    const cur = await this.servers.find(caller, id);
    if (!(key in cur.metadata)) throw E.metadataNotFound(key);
    await this.servers.mutate(id, (s) => {
      requireState(s, 'updateMetadata', caller);
      const metadata = { ...s.metadata };
      delete metadata[key];
      return { ...s, metadata };
    });
  }
}
