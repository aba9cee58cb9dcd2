import { uuid } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { AVAILABILITY_ZONE, KIND, type Aggregate } from './models.js';

/**
 * os-aggregates: named groups of compute hosts with metadata; an aggregate with an
 * `availability_zone` puts its hosts in that zone (hosts in none are in `nova`). The
 * scheduler uses the zones to place servers created with `availability_zone`.
 */
export class Aggregates {
  readonly repo: Repo<Aggregate>;

  constructor(
    private readonly ctx: ComputeContext,
    /** Whether a compute host exists (os-services knows it). */
    private readonly hostExists: (host: string) => Promise<boolean>,
  ) {
    this.repo = new Repo<Aggregate>(ctx, KIND.aggregate, (id) => E.notFound(`Aggregate ${id} could not be found.`, 'AggregateNotFound'), (a) => a.name, (a) => `Aggregate ${a.name} already exists.`);
  }

  async list(): Promise<Aggregate[]> {
    return (await this.repo.list()).sort((a, b) => a.seq - b.seq);
  }

  async get(seq: string): Promise<Aggregate> {
    const a = /^\d+$/.test(seq) ? (await this.repo.list({ seq: Number(seq) }))[0] : undefined;
    if (!a) throw E.notFound(`Aggregate ${seq} could not be found.`, 'AggregateNotFound');
    return a;
  }

  async create(name: string, zone: string | null): Promise<Aggregate> {
    return this.ctx.store.tx(async (tx) => {
      if (await this.repo.byUniq(name, tx)) throw E.conflict(`Aggregate ${name} already exists.`, 'AggregateNameExists');
      const a: Aggregate = { id: uuid(), seq: await this.ctx.nextSeq('aggregate', tx), name, availabilityZone: zone, hosts: [], metadata: zone ? { availability_zone: zone } : {}, createdAt: this.ctx.now(), updatedAt: null };
      return this.repo.create(a, tx);
    });
  }

  /** Applies a change to one aggregate in a transaction (`fn` may throw a 4xx). */
  private async change(seq: string, fn: (a: Aggregate, tx: StoreOps) => Promise<Aggregate> | Aggregate): Promise<Aggregate> {
    const cur = await this.get(seq);
    return this.ctx.store.tx(async (tx) => {
      const a = await this.repo.require(cur.id, tx);
      return this.repo.update({ ...(await fn(a, tx)), updatedAt: this.ctx.now() }, tx);
    });
  }

  update(seq: string, patch: { name?: string; zone?: string | null }): Promise<Aggregate> {
    return this.change(seq, async (a, tx) => {
      const next = { ...a };
      if (patch.name !== undefined && patch.name !== a.name) {
        if (await this.repo.byUniq(patch.name, tx)) throw E.conflict(`Aggregate ${patch.name} already exists.`, 'AggregateNameExists');
        next.name = patch.name;
      }
      if (patch.zone !== undefined) await this.setZone(next, patch.zone, tx);
      return next;
    });
  }

  /** A zone change must not move a host into two zones (400, as Nova). */
  private async setZone(a: Aggregate, zone: string | null, tx: StoreOps): Promise<void> {
    for (const h of a.hosts) {
      const other = (await this.repo.list(undefined, tx)).find((x) => x.id !== a.id && x.hosts.includes(h) && x.availabilityZone && x.availabilityZone !== zone);
      if (other) throw E.bad(`Cannot update aggregate ${a.seq}: host ${h} is in availability zone ${other.availabilityZone}.`, 'InvalidAggregateActionUpdate');
    }
    a.availabilityZone = zone;
    const metadata = { ...a.metadata };
    if (zone) metadata.availability_zone = zone;
    else delete metadata.availability_zone;
    a.metadata = metadata;
  }

  async delete(seq: string): Promise<void> {
    const a = await this.get(seq);
    if (a.hosts.length) throw E.bad(`Cannot remove aggregate ${seq}: it still has hosts.`, 'InvalidAggregateActionDelete');
    await this.repo.delete(a.id);
  }

  async addHost(seq: string, host: string): Promise<Aggregate> {
    if (!(await this.hostExists(host))) throw E.notFound(`Compute host ${host} could not be found.`, 'ComputeHostNotFound');
    return this.change(seq, async (a, tx) => {
      if (a.hosts.includes(host)) throw E.conflict(`Aggregate ${seq} already has host ${host}.`, 'AggregateHostExists');
      const zone = await this.zoneOf(host, tx);
      if (a.availabilityZone && zone !== AVAILABILITY_ZONE && zone !== a.availabilityZone)
        throw E.bad(`Cannot add host ${host} to aggregate ${seq}: it is in availability zone ${zone}.`, 'InvalidAggregateActionAdd');
      return { ...a, hosts: [...a.hosts, host] };
    });
  }

  async removeHost(seq: string, host: string): Promise<Aggregate> {
    return this.change(seq, (a) => {
      if (!a.hosts.includes(host)) throw E.notFound(`Cannot remove host ${host} from aggregate ${seq}: it is not in it.`, 'AggregateHostNotFound');
      return { ...a, hosts: a.hosts.filter((h) => h !== host) };
    });
  }

  /** Sets metadata; a null value removes a key; `availability_zone` moves the zone. */
  setMetadata(seq: string, items: Record<string, string | null>): Promise<Aggregate> {
    return this.change(seq, async (a, tx) => {
      const next = { ...a, metadata: { ...a.metadata } };
      for (const [k, v] of Object.entries(items)) {
        if (k === 'availability_zone') await this.setZone(next, v, tx);
        else if (v === null) delete next.metadata[k];
        else next.metadata[k] = v;
      }
      return next;
    });
  }

  /** The availability zone of a host: that of its aggregate with one, else `nova`. */
  async zoneOf(host: string, tx?: StoreOps): Promise<string> {
    const all = await this.repo.list(undefined, tx);
    return all.find((a) => a.availabilityZone && a.hosts.includes(host))?.availabilityZone ?? AVAILABILITY_ZONE;
  }
}
