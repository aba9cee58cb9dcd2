import { conflict, StratusError } from '../../../core/errors.js';
import { StoreConflict } from '../../../store/index.js';
import { invalid, itemNotFound, Repo, type VolumeContext } from './context.js';
import type { QosConsumer, QosSpecs, VolumeType } from './models.js';
import type { VolumeTypes } from './types.js';

export const QOS_CONSUMERS: readonly QosConsumer[] = ['front-end', 'back-end', 'both'];

/**
 * QoS specs and their association with volume types. A type has at most one QoS specs; the
 * specs of a `front-end` or `both` consumer reach the hypervisor in the volume's connection
 * info (os-initialize_connection `qos_specs`), which is where Cinder hands them over too.
 */
export class QosSpecsStore {
  readonly repo: Repo<QosSpecs>;

  constructor(
    private readonly ctx: VolumeContext,
    private readonly types: VolumeTypes,
  ) {
    this.repo = new Repo<QosSpecs>(ctx, 'volume.qos', 'QoS specs', (q) => q.name);
  }

  async create(name: string, consumer: QosConsumer, specs: Record<string, string>): Promise<QosSpecs> {
    const q: QosSpecs = { id: this.ctx.newId(), name, consumer, specs, createdAt: this.ctx.now() };
    try {
      await this.repo.create(q);
    } catch (e) {
      if (e instanceof StoreConflict) throw conflict(`QoS Specs ${name} already exists.`, 'QoSSpecsExists');
      throw e;
    }
    this.ctx.changed('qos-specs', 'created', q.id);
    return q;
  }

  list(): Promise<QosSpecs[]> {
    return this.repo.list();
  }

  get(id: string): Promise<QosSpecs> {
    return this.repo.require(id);
  }

  /** Sets keys (`consumer` changes the consumer); returns what was set. */
  async setKeys(id: string, keys: Record<string, string>): Promise<QosSpecs> {
    const { consumer, ...specs } = keys;
    if (consumer !== undefined && !QOS_CONSUMERS.includes(consumer as QosConsumer)) {
      throw invalid('input', `Valid consumer of QoS specs are: ${QOS_CONSUMERS.join(', ')}.`);
    }
    return this.save(id, (cur) => ({ ...cur, consumer: (consumer as QosConsumer | undefined) ?? cur.consumer, specs: { ...cur.specs, ...specs } }));
  }

  async deleteKeys(id: string, keys: string[]): Promise<void> {
    await this.save(id, (cur) => {
      const missing = keys.find((k) => !(k in cur.specs));
      if (missing !== undefined) throw new StratusError('NotFound', `QoS spec ${missing} is not found for QoS specs ${id}.`, 'QoSSpecsKeyNotFound');
      return { ...cur, specs: Object.fromEntries(Object.entries(cur.specs).filter(([k]) => !keys.includes(k))) };
    });
  }

  /** The types using these specs. */
  async associations(id: string): Promise<VolumeType[]> {
    await this.repo.require(id);
    return (await this.types.repo.list()).filter((t) => t.qosSpecsId === id);
  }

  async associate(id: string, typeId: string): Promise<void> {
    await this.repo.require(id);
    await this.ctx.store.tx(async (tx) => {
      const t = await this.types.repo.get(typeId, tx);
      if (!t) throw itemNotFound('Volume type', typeId);
      if (t.qosSpecsId === id) return;
      if (t.qosSpecsId) throw invalid('volume type', `Type ${typeId} is already associated with another qos specs: ${t.qosSpecsId}`);
      await this.types.repo.put({ ...t, qosSpecsId: id }, tx);
    });
    this.ctx.changed('type', 'updated', typeId);
  }

  async disassociate(id: string, typeId: string): Promise<void> {
    await this.repo.require(id);
    await this.ctx.store.tx(async (tx) => {
      const t = await this.types.repo.get(typeId, tx);
      if (!t) throw itemNotFound('Volume type', typeId);
      if (t.qosSpecsId !== id) throw new StratusError('NotFound', `Volume type ${typeId} is not associated with QoS specs ${id}.`, 'QoSSpecsNotAssociated');
      await this.types.repo.put({ ...t, qosSpecsId: null }, tx);
    });
    this.ctx.changed('type', 'updated', typeId);
  }

  async disassociateAll(id: string): Promise<void> {
    for (const t of await this.associations(id)) await this.disassociate(id, t.id);
  }

  /** 400 while associated, unless `force` (then every association goes first). */
  async delete(id: string, force: boolean): Promise<void> {
    const used = await this.associations(id);
    if (used.length && !force) throw new StratusError('BadRequest', `QoS Specs ${id} is still associated with entities.`, 'QoSSpecsInUse');
    if (used.length) await this.disassociateAll(id);
    await this.repo.delete(id);
    this.ctx.changed('qos-specs', 'deleted', id);
  }

  /** The specs a volume of `typeId` hands to the hypervisor, if any. */
  async frontEnd(typeId: string): Promise<Record<string, string> | null> {
    const t = await this.types.repo.get(typeId);
    const q = t?.qosSpecsId ? await this.repo.get(t.qosSpecsId) : undefined;
    return q && q.consumer !== 'back-end' ? { ...q.specs } : null;
  }

  private async save(id: string, fn: (cur: QosSpecs) => QosSpecs): Promise<QosSpecs> {
    const next = await this.ctx.store.tx(async (tx) => this.repo.put(fn(await this.repo.require(id, tx)), tx));
    this.ctx.changed('qos-specs', 'updated', id);
    return next;
  }
}
