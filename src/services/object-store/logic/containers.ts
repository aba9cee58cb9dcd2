import type { StoreOps } from '../../../store/index.js';
import { projectOf, type Accounts } from './accounts.js';
import type { StorageContext } from './context.js';
import { containerNotEmpty, noSuchContainer } from './errors.js';
import { list, type ListEntry, type ListOptions } from './listing.js';
import { applyPatch, emptyPatch, type MetaPatch } from './metadata.js';
import { KIND, containerId, type ContainerRecord, type ObjectRecord } from './models.js';
import { checkContainerName } from './names.js';

/** What a container PUT or POST may change. Absent fields stay as they are; null clears an ACL. */
export interface ContainerChange {
  meta?: MetaPatch;
  readAcl?: string | null;
  writeAcl?: string | null;
  /** Container sync target and key; null or '' removes. */
  syncTo?: string | null;
  syncKey?: string | null;
}

export class Containers {
  constructor(
    private readonly ctx: StorageContext,
    private readonly accounts: Accounts,
    /** Removes expired objects of a container (the expirer), before an emptiness check. */
    private readonly sweep: (account: string, container: string) => Promise<void>,
  ) {}

  async find(account: string, name: string): Promise<ContainerRecord | undefined> {
    return (await this.ctx.store.get<ContainerRecord>(KIND.container, containerId(account, name)))?.data;
  }

  async get(account: string, name: string): Promise<ContainerRecord> {
    const c = await this.find(account, name);
    if (!c) throw noSuchContainer(name);
    return c;
  }

  /** Creates the container, or updates it when it exists (Swift answers 201 or 202). */
  async create(account: string, name: string, change: ContainerChange = {}): Promise<{ container: ContainerRecord; created: boolean }> {
    checkContainerName(name);
    const projectId = projectOf(account);
    const res = await this.ctx.store.tx(async (ops) => {
      await this.accounts.ensure(ops, account);
      const cur = (await ops.get<ContainerRecord>(KIND.container, containerId(account, name)))?.data;
      if (cur) return { container: await this.write(ops, cur, change, true), created: false };
      const now = this.ctx.stamps.next();
      const rec: ContainerRecord = {
        id: containerId(account, name),
        account,
        projectId,
        name,
        meta: {},
        readAcl: null,
        writeAcl: null,
        createdAt: now,
        updatedAt: now,
        objectCount: 0,
        bytesUsed: 0,
      };
      return { container: await this.write(ops, rec, change, false), created: true };
    });
    this.ctx.changed('container', res.created ? 'created' : 'updated', res.container.id, projectId);
    return res;
  }

  async update(account: string, name: string, change: ContainerChange): Promise<ContainerRecord> {
    const rec = await this.ctx.store.tx(async (ops) => {
      const cur = (await ops.get<ContainerRecord>(KIND.container, containerId(account, name)))?.data;
      if (!cur) throw noSuchContainer(name);
      return this.write(ops, cur, change, true);
    });
    this.ctx.changed('container', 'updated', rec.id, rec.projectId);
    return rec;
  }

  /** Deletes an empty container; 409 (ContainerNotEmpty) while objects remain. */
  async delete(account: string, name: string): Promise<void> {
    const c = await this.get(account, name);
    if (c.objectCount > 0) await this.sweep(account, name);
    await this.ctx.store.tx(async (ops) => {
      const cur = (await ops.get<ContainerRecord>(KIND.container, c.id))?.data;
      if (!cur) throw noSuchContainer(name);
      const left = await ops.count(KIND.object, { where: { projectId: cur.projectId, container: name } });
      if (left > 0) throw containerNotEmpty(name);
      await ops.delete(KIND.container, c.id);
    });
    this.ctx.changed('container', 'deleted', c.id, c.projectId);
  }

  /** Visible (unexpired) objects of a container, in no particular order. */
  async objects(account: string, name: string): Promise<ObjectRecord[]> {
    const c = await this.get(account, name);
    const now = this.ctx.now();
    const recs = await this.ctx.store.find<ObjectRecord>(KIND.object, { where: { projectId: c.projectId, container: name } });
    return recs.map((r) => r.data).filter((o) => o.deleteAt === undefined || o.deleteAt > now);
  }

  async listObjects(account: string, name: string, opts: ListOptions): Promise<ListEntry<ObjectRecord>[]> {
    const objs = await this.objects(account, name);
    return list(objs.map((o) => ({ name: o.name, item: o })), opts);
  }

  private async write(ops: StoreOps, cur: ContainerRecord, change: ContainerChange, exists: boolean): Promise<ContainerRecord> {
    const next: ContainerRecord = {
      ...cur,
      meta: applyPatch(cur.meta, change.meta ?? emptyPatch(), true),
      updatedAt: exists ? this.ctx.stamps.next() : cur.updatedAt,
    };
    if (change.readAcl !== undefined) next.readAcl = change.readAcl || null;
    if (change.writeAcl !== undefined) next.writeAcl = change.writeAcl || null;
    for (const k of ['syncTo', 'syncKey'] as const) {
      const v = change[k];
      if (v === undefined) continue;
      if (v) next[k] = v;
      else delete next[k];
    }
    if (exists) await ops.update(KIND.container, cur.id, next);
    else await ops.create(KIND.container, cur.id, next);
    return next;
  }
}
