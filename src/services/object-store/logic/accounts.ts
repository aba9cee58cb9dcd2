import type { StoreOps } from '../../../store/index.js';
import type { StorageContext } from './context.js';
import { invalidName } from './errors.js';
import { list, type ListEntry, type ListOptions } from './listing.js';
import { applyPatch, type MetaPatch } from './metadata.js';
import { KIND, type AccountRecord, type ContainerRecord, type Meta, type Stamp } from './models.js';
import { projectOfAccount } from './names.js';

export interface AccountInfo {
  account: string;
  projectId: string;
  meta: Meta;
  createdAt: Stamp;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
}

/**
 * Accounts exist implicitly (Swift's account_autocreate): reading one that was never written
 * gives an empty account; the record appears with the first container or metadata write.
 */
export class Accounts {
  constructor(private readonly ctx: StorageContext) {}

  /** The stored account record (metadata), if the account was ever written. */
  async find(account: string): Promise<AccountRecord | undefined> {
    return (await this.ctx.store.get<AccountRecord>(KIND.account, account))?.data;
  }

  async info(account: string): Promise<AccountInfo> {
    const projectId = projectOf(account);
    const rec = (await this.ctx.store.get<AccountRecord>(KIND.account, account))?.data;
    const containers = await this.containers(projectId);
    return {
      account,
      projectId,
      meta: rec?.meta ?? {},
      createdAt: rec?.createdAt ?? this.ctx.stamps.next(),
      containerCount: containers.length,
      objectCount: containers.reduce((n, c) => n + c.objectCount, 0),
      bytesUsed: containers.reduce((n, c) => n + c.bytesUsed, 0),
    };
  }

  async updateMeta(account: string, patch: MetaPatch): Promise<void> {
    await this.ctx.store.tx(async (ops) => {
      const rec = await this.ensure(ops, account);
      await ops.update(KIND.account, account, { ...rec, meta: applyPatch(rec.meta, patch, true) });
    });
    this.ctx.changed('account', 'updated', account, projectOf(account));
  }

  async listContainers(account: string, opts: ListOptions): Promise<ListEntry<ContainerRecord>[]> {
    const all = await this.containers(projectOf(account));
    return list(all.map((c) => ({ name: c.name, item: c })), opts);
  }

  /** The account record, created if absent; call inside a transaction. */
  async ensure(ops: StoreOps, account: string): Promise<AccountRecord> {
    const cur = (await ops.get<AccountRecord>(KIND.account, account))?.data;
    if (cur) return cur;
    const rec: AccountRecord = { id: account, projectId: projectOf(account), meta: {}, createdAt: this.ctx.stamps.next() };
    await ops.create(KIND.account, account, rec);
    return rec;
  }

  private async containers(projectId: string): Promise<ContainerRecord[]> {
    // NOTE: filtering on projectId lets SQLite use the store's projectId index.
    return (await this.ctx.store.find<ContainerRecord>(KIND.container, { where: { projectId } })).map((r) => r.data);
  }
}

export function projectOf(account: string): string {
  const p = projectOfAccount(account);
  if (p === undefined) throw invalidName(`Invalid account name: ${account.slice(0, 64)}.`);
  return p;
}
