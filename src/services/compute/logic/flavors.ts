import { uuid } from '../../../core/ids.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { KIND, type Caller, type Flavor, type FlavorAccess, type FlavorSnapshot } from './models.js';

/** devstack's flavors (lib/nova and lib/tempest): id, name, RAM MiB, disk GiB, vCPUs. */
const DEVSTACK: [string, string, number, number, number][] = [
  ['1', 'm1.tiny', 512, 1, 1],
  ['2', 'm1.small', 2048, 20, 1],
  ['3', 'm1.medium', 4096, 40, 2],
  ['4', 'm1.large', 8192, 80, 4],
  ['5', 'm1.xlarge', 16384, 160, 8],
  ['c1', 'cirros256', 256, 1, 1],
  ['d1', 'ds512M', 512, 5, 1],
  ['d2', 'ds1G', 1024, 10, 1],
  ['d3', 'ds2G', 2048, 10, 2],
  ['d4', 'ds4G', 4096, 20, 4],
  ['42', 'm1.nano', 192, 1, 1],
  ['84', 'm1.micro', 256, 1, 1],
];

export interface NewFlavor {
  id?: string | null;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  swap: number;
  ephemeral: number;
  rxtxFactor: number;
  isPublic: boolean;
  description?: string | null;
}

export interface FlavorQuery {
  minRam?: number;
  minDisk?: number;
  /** true: public only, false: private only, null: all (admin). */
  isPublic: boolean | null;
  limit?: number;
  marker?: string;
}

export function snapshotOf(f: Flavor): FlavorSnapshot {
  return { id: f.id, name: f.name, ram: f.ram, vcpus: f.vcpus, disk: f.disk, swap: f.swap, ephemeral: f.ephemeral, extraSpecs: { ...f.extraSpecs } };
}

/** Flavors, their extra specs and their access lists (nova `compute/flavors.py`). */
export class Flavors {
  readonly repo: Repo<Flavor>;
  readonly access: Repo<FlavorAccess>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<Flavor>(ctx, KIND.flavor, E.flavorNotFound, (f) => f.name, (f) => `Flavor with name ${f.name} already exists.`);
    this.access = new Repo<FlavorAccess>(ctx, KIND.flavorAccess, (id) => E.bad(`Flavor access not found for ${id}.`));
  }

  /** Creates devstack's flavors on first start (those missing by id). */
  async seed(): Promise<number> {
    let n = 0;
    for (const [id, name, ram, disk, vcpus] of DEVSTACK) {
      if (await this.repo.get(id)) continue;
      if (await this.repo.byUniq(name)) continue;
      await this.repo.create(this.build({ id, name, ram, vcpus, disk, swap: 0, ephemeral: 0, rxtxFactor: 1, isPublic: true }, { 'hw_rng:allowed': 'True' }));
      n++;
    }
    return n;
  }

  /** A flavor the caller may see (private ones need access); 404 otherwise. */
  async get(caller: Caller, id: string): Promise<Flavor> {
    const f = await this.repo.require(id);
    if (!f.isPublic && !caller.admin && !(await this.access.get(`${f.id}:${caller.projectId}`))) throw E.flavorNotFound(id);
    return f;
  }

  async list(caller: Caller, q: FlavorQuery): Promise<Flavor[]> {
    let all = (await this.repo.list()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const mine = caller.admin ? new Set<string>() : new Set((await this.access.list({ projectId: caller.projectId })).map((a) => a.flavorId));
    all = all.filter((f) => {
      if (caller.admin) return q.isPublic === null || f.isPublic === q.isPublic;
      return f.isPublic || mine.has(f.id);
    });
    if (q.minRam !== undefined) all = all.filter((f) => f.ram >= q.minRam!);
    if (q.minDisk !== undefined) all = all.filter((f) => f.disk >= q.minDisk!);
    if (q.marker !== undefined) {
      const i = all.findIndex((f) => f.id === q.marker);
      if (i < 0) throw E.bad(`marker [${q.marker}] not found`);
      all = all.slice(i + 1);
    }
    return q.limit !== undefined ? all.slice(0, q.limit) : all;
  }

  async create(input: NewFlavor): Promise<Flavor> {
    const id = input.id && input.id !== 'auto' ? input.id : uuid();
    if (await this.repo.get(id)) throw E.conflict(`Flavor with ID ${id} already exists.`);
    const f = await this.repo.create(this.build({ ...input, id }, {}));
    this.ctx.changed(KIND.flavor, 'created', f.id);
    return f;
  }

  async update(id: string, description: string | null): Promise<Flavor> {
    const f = await this.repo.require(id);
    return this.repo.update({ ...f, description });
  }

  async delete(id: string): Promise<void> {
    await this.repo.require(id);
    await this.access.deleteWhere({ flavorId: id });
    await this.repo.delete(id);
    this.ctx.changed(KIND.flavor, 'deleted', id);
  }

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<Record<string, string>> {
    const f = await this.repo.require(id);
    const next = await this.repo.update({ ...f, extraSpecs: { ...f.extraSpecs, ...specs } });
    return next.extraSpecs;
  }

  async deleteExtraSpec(id: string, key: string): Promise<void> {
    const f = await this.repo.require(id);
    if (!(key in f.extraSpecs)) throw this.missingSpec(id, key);
    const extraSpecs = { ...f.extraSpecs };
    delete extraSpecs[key];
    await this.repo.update({ ...f, extraSpecs });
  }

  missingSpec(id: string, key: string) {
    return E.notFound(`Flavor ${id} has no extra specs with key ${key}.`, 'FlavorExtraSpecsNotFound');
  }

  async accessList(id: string): Promise<FlavorAccess[]> {
    const f = await this.repo.require(id);
    if (f.isPublic) throw E.notFound('Access list not available for public flavors.', 'FlavorAccessNotFound');
    return this.access.list({ flavorId: id });
  }

  async addAccess(id: string, projectId: string): Promise<FlavorAccess[]> {
    const f = await this.repo.require(id);
    if (f.isPublic) throw E.conflict('Can not add access to a public flavor.');
    const key = `${id}:${projectId}`;
    if (await this.access.get(key)) throw E.conflict(`Flavor access already exists for flavor ${id} and project ${projectId} combination.`);
    await this.access.create({ id: key, flavorId: id, projectId });
    return this.access.list({ flavorId: id });
  }

  async removeAccess(id: string, projectId: string): Promise<FlavorAccess[]> {
    await this.repo.require(id);
    if (!(await this.access.delete(`${id}:${projectId}`)))
      throw E.notFound(`Flavor access not found for ${id} / ${projectId} combination.`, 'FlavorAccessNotFound');
    return this.access.list({ flavorId: id });
  }

  private build(input: NewFlavor & { id: string }, extraSpecs: Record<string, string>): Flavor {
    return {
      id: input.id,
      name: input.name,
      ram: input.ram,
      vcpus: input.vcpus,
      disk: input.disk,
      swap: input.swap,
      ephemeral: input.ephemeral,
      rxtxFactor: input.rxtxFactor,
      isPublic: input.isPublic,
      disabled: false,
      description: input.description ?? null,
      extraSpecs,
      createdAt: this.ctx.now(),
    };
  }
}
