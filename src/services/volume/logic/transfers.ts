import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { StratusError } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { invalid, Repo, type VolumeContext } from './context.js';
import type { Caller, Transfer, Volume } from './models.js';
import type { Quotas } from './quotas.js';
import { touch, type Records, type Volumes } from './volumes.js';

/** Cinder's volume_transfer_key_length and salt length. */
const KEY_LENGTH = 16;
const SALT_LENGTH = 8;

function hashKey(salt: string, key: string): string {
  return createHash('sha256').update(`${salt}${key}`).digest('hex');
}

function randomKey(n: number): string {
  return randomBytes(n).toString('hex').slice(0, n);
}

function transferNotFound(id: string): StratusError {
  return new StratusError('NotFound', `Transfer ${id} could not be found.`, 'TransferNotFound');
}

export interface CreatedTransfer {
  transfer: Transfer;
  /** Shown once, in the create response. */
  authKey: string;
}

/**
 * Volume transfers: the owner offers an `available` volume (it waits as `awaiting-transfer`),
 * another project accepts it with the id and auth key, and the volume with its snapshots moves
 * to that project and user, under the receiver's quota.
 */
export class Transfers {
  readonly repo: Repo<Transfer>;

  constructor(
    private readonly ctx: VolumeContext,
    private readonly records: Records,
    private readonly volumes: Volumes,
    private readonly quotas: Quotas,
  ) {
    this.repo = new Repo<Transfer>(ctx, 'volume.transfer', 'Transfer', (t) => t.volumeId);
  }

  async create(caller: Caller, volumeId: string, name: string | null): Promise<CreatedTransfer> {
    const authKey = randomKey(KEY_LENGTH);
    const salt = randomKey(SALT_LENGTH);
    const transfer: Transfer = {
      id: this.ctx.newId(),
      volumeId,
      projectId: '',
      userId: caller.userId,
      name,
      salt,
      keyHash: hashKey(salt, authKey),
      createdAt: this.ctx.now(),
    };
    await this.volumes.mutate(caller, volumeId, async (v, tx) => {
      if (v.status !== 'available') throw invalid('volume', `Status of volume must be available to transfer, but it is ${v.status}.`);
      transfer.projectId = v.projectId;
      await this.repo.create(transfer, tx);
      return touch(this.ctx, { ...v, status: 'awaiting-transfer' });
    });
    this.ctx.changed('transfer', 'created', transfer.id, transfer.projectId);
    return { transfer, authKey };
  }

  /** A transfer of the caller's project (admins: any). */
  async visible(caller: Caller, id: string, tx?: StoreOps): Promise<Transfer> {
    const t = await this.repo.get(id, tx);
    if (!t || (!caller.admin && t.projectId !== caller.projectId)) throw transferNotFound(id);
    return t;
  }

  async list(caller: Caller, allTenants: boolean): Promise<Transfer[]> {
    const all = await this.repo.list(caller.admin && allTenants ? undefined : { projectId: caller.projectId });
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** Cancels the offer: the volume is `available` again. */
  async delete(caller: Caller, id: string): Promise<void> {
    const t = await this.visible(caller, id);
    await this.ctx.store.tx(async (tx) => {
      await this.repo.require(id, tx);
      await this.repo.delete(id, tx);
      const v = await this.records.volumes.get(t.volumeId, tx);
      if (v && v.status === 'awaiting-transfer') await this.records.volumes.put(touch(this.ctx, { ...v, status: 'available' }), tx);
    });
    this.ctx.changed('transfer', 'deleted', id, t.projectId);
    this.ctx.changed('volume', 'updated', t.volumeId, t.projectId);
  }

  /**
   * The caller's project takes the volume (and its snapshots). Any project that knows the id
   * and key may accept; a wrong key is a 400, the receiver's quota a 413.
   */
  async accept(caller: Caller, id: string, authKey: string): Promise<Transfer> {
    const moved = await this.ctx.store.tx(async (tx) => {
      const t = await this.repo.get(id, tx);
      if (!t) throw transferNotFound(id);
      const want = Buffer.from(t.keyHash, 'hex');
      const got = Buffer.from(hashKey(t.salt, authKey), 'hex');
      if (want.length !== got.length || !timingSafeEqual(want, got)) {
        throw new StratusError('BadRequest', `Invalid auth key: Attempt to transfer ${id} with invalid auth key.`, 'InvalidAuthKey');
      }
      const v = await this.records.volumes.require(t.volumeId, tx);
      if (v.status !== 'awaiting-transfer') throw invalid('volume', `Transfer ${id}: volume status must be awaiting-transfer, but it is ${v.status}.`);
      const snaps = await this.records.snapshots.list({ volumeId: v.id }, tx);
      if (caller.projectId !== v.projectId) {
        const snapGb = snaps.reduce((n, s) => n + s.size, 0);
        await this.quotas.check(tx, caller.projectId, { volumes: 1, gigabytes: v.size + snapGb, volumeSize: v.size, typeId: v.volumeTypeId });
        if (snaps.length) await this.quotas.check(tx, caller.projectId, { snapshots: snaps.length, typeId: v.volumeTypeId });
      }
      const next: Volume = touch(this.ctx, { ...v, projectId: caller.projectId, userId: caller.userId, status: 'available' });
      await this.records.volumes.put(next, tx);
      for (const s of snaps) await this.records.snapshots.put({ ...s, projectId: caller.projectId, userId: caller.userId, updatedAt: this.ctx.now() }, tx);
      await this.repo.delete(id, tx);
      return { t, from: v.projectId };
    });
    this.ctx.changed('transfer', 'deleted', id, moved.from);
    this.ctx.changed('volume', 'updated', moved.t.volumeId, caller.projectId);
    return moved.t;
  }

  /** Drops the offers of a volume being deleted (inside the deleting transaction). */
  async dropForVolume(volumeId: string, tx: StoreOps): Promise<void> {
    await this.repo.deleteWhere({ volumeId }, tx);
  }
}
