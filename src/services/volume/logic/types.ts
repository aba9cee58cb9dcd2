import { conflict } from '../../../core/errors.js';
import { StoreConflict } from '../../../store/index.js';
import { invalid, itemNotFound, Repo, type VolumeContext } from './context.js';
import { DEFAULT_TYPE_NAME, type Caller, type VolumeType } from './models.js';

export interface TypeInput {
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
}

/** Extra specs a non-admin may read (Cinder hides the rest as backend details). */
const USER_VISIBLE_SPECS = ['multiattach', 'RESKEY:availability_zones', 'replication_enabled'];

/**
 * Volume types. `__DEFAULT__` exists from the first start and cannot be deleted; private
 * types are visible to admins and to the projects given access.
 */
export class VolumeTypes {
  readonly repo: Repo<VolumeType>;

  constructor(private readonly ctx: VolumeContext) {
    this.repo = new Repo<VolumeType>(ctx, 'volume.type', 'Volume type', (t) => t.name);
  }

  async init(): Promise<void> {
    if (await this.repo.byUniq(DEFAULT_TYPE_NAME)) return;
    await this.repo
      .create({ id: this.ctx.newId(), name: DEFAULT_TYPE_NAME, description: 'Default Volume Type', isPublic: true, extraSpecs: {}, projects: [], createdAt: this.ctx.now() })
      .catch((e: unknown) => {
        if (!(e instanceof StoreConflict)) throw e;
      });
  }

  async defaultType(): Promise<VolumeType> {
    const t = await this.repo.byUniq(DEFAULT_TYPE_NAME);
    if (!t) throw itemNotFound('Volume type', DEFAULT_TYPE_NAME);
    return t;
  }

  canSee(caller: Caller, t: VolumeType): boolean {
    return caller.admin || t.isPublic || t.projects.includes(caller.projectId);
  }

  /** By id (or `default`); invisible types are not found. */
  async get(caller: Caller, id: string): Promise<VolumeType> {
    const t = id === 'default' ? await this.defaultType() : await this.repo.get(id);
    if (!t || !this.canSee(caller, t)) throw itemNotFound('Volume type', id);
    return t;
  }

  /** By id or by name, as volume create accepts either. */
  async resolve(caller: Caller, ref: string): Promise<VolumeType> {
    const t = (await this.repo.get(ref)) ?? (await this.repo.byUniq(ref));
    if (!t || !this.canSee(caller, t)) throw itemNotFound('Volume type', ref);
    return t;
  }

  async list(caller: Caller, isPublic?: boolean): Promise<VolumeType[]> {
    const all = await this.repo.list();
    return all.filter((t) => this.canSee(caller, t) && (isPublic === undefined || t.isPublic === isPublic));
  }

  /** The extra specs the caller may read. */
  specsFor(caller: Caller, t: VolumeType): Record<string, string> {
    if (caller.admin) return t.extraSpecs;
    return Object.fromEntries(Object.entries(t.extraSpecs).filter(([k]) => USER_VISIBLE_SPECS.includes(k)));
  }

  async create(input: TypeInput): Promise<VolumeType> {
    const t: VolumeType = { id: this.ctx.newId(), ...input, projects: [], createdAt: this.ctx.now() };
    try {
      await this.repo.create(t);
    } catch (e) {
      if (e instanceof StoreConflict) throw conflict(`Volume Type ${input.name} already exists.`, 'VolumeTypeExists');
      throw e;
    }
    this.ctx.changed('type', 'created', t.id);
    return t;
  }

  async update(id: string, patch: Partial<Pick<VolumeType, 'name' | 'description' | 'isPublic'>>): Promise<VolumeType> {
    const cur = await this.repo.require(id);
    if (cur.name === DEFAULT_TYPE_NAME && patch.name !== undefined && patch.name !== cur.name) {
      throw invalid('volume type', 'The default volume type cannot be renamed.');
    }
    return this.save({ ...cur, ...patch });
  }

  async delete(id: string): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.require(id, tx);
      if (cur.name === DEFAULT_TYPE_NAME) throw invalid('volume type', 'Default volume type can not be deleted.');
      const inUse = await tx.count('volume.volume', { where: { volumeTypeId: id } });
      if (inUse > 0) throw invalid('volume type', 'Target volume type is still in use.');
      await this.repo.delete(id, tx);
    });
    this.ctx.changed('type', 'deleted', id);
  }

  async setSpecs(id: string, specs: Record<string, string>): Promise<VolumeType> {
    const cur = await this.repo.require(id);
    return this.save({ ...cur, extraSpecs: { ...cur.extraSpecs, ...specs } });
  }

  async deleteSpec(id: string, key: string): Promise<void> {
    const cur = await this.repo.require(id);
    if (!(key in cur.extraSpecs)) throw itemNotFound('Volume Type Extra Spec', `${key} for volume type ${id}`);
    const extraSpecs = { ...cur.extraSpecs };
    delete extraSpecs[key];
    await this.save({ ...cur, extraSpecs });
  }

  async setAccess(id: string, projectId: string, grant: boolean): Promise<void> {
    const cur = await this.repo.require(id);
    if (cur.isPublic) throw invalid('volume type', 'Type access modification is not applicable to public volume type.');
    const has = cur.projects.includes(projectId);
    if (grant && has) throw conflict(`Volume type access for ${id} / ${projectId} combination already exists.`, 'VolumeTypeAccessExists');
    if (!grant && !has) throw itemNotFound('Volume type access', `${id} / ${projectId}`);
    await this.save({ ...cur, projects: grant ? [...cur.projects, projectId] : cur.projects.filter((p) => p !== projectId) });
  }

  private async save(t: VolumeType): Promise<VolumeType> {
    try {
      await this.repo.put(t);
    } catch (e) {
      if (e instanceof StoreConflict) throw conflict(`Volume Type ${t.name} already exists.`, 'VolumeTypeExists');
      throw e;
    }
    this.ctx.changed('type', 'updated', t.id);
    return t;
  }
}
