import type { StoreOps } from '../../../store/index.js';
import { adminOrCreator, canReadResource } from './access.js';
import type { MetricContext } from './context.js';
import { denied, invalidInput, metricNotFound, namedMetricExists, resourceExists, resourceNotFound } from './errors.js';
import { compileFilter, type Row } from './filter.js';
import { resourceUuid } from './ids.js';
import type { Metrics, MetricInput } from './metrics.js';
import { creatorOf, KIND, type Caller, type Metric, type Resource, type ResourceRevision, type ResourceType } from './models.js';
import { RESERVED, checkValue, type ResourceTypes } from './resource-types.js';
import { timestampMs } from './timespec.js';

export interface ListOptions {
  filter?: unknown;
  limit?: number;
  marker?: string;
  sort?: string[];
  history?: boolean;
}

const GENERIC_FIELDS = ['id', 'type', 'project_id', 'user_id', 'created_by_user_id', 'created_by_project_id', 'creator', 'original_resource_id', 'started_at', 'ended_at', 'revision_start', 'revision_end'];
export const MAX_LIMIT = 1000;

/**
 * A resource (or revision) flattened under its wire attribute names, for filters and sorting.
 */
// NOTE: the search filter is written in wire names (project_id, started_at), so this row is
// the one place logic speaks them; views/ render the same fields.
export function resourceRow(r: Resource, revisionEnd: number | null = null): Row {
  return {
    ...r.attributes,
    id: r.id,
    type: r.type,
    project_id: r.projectId,
    user_id: r.userId,
    created_by_user_id: r.createdByUserId,
    created_by_project_id: r.createdByProjectId,
    creator: creatorOf(r),
    original_resource_id: r.originalResourceId,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    revision_start: r.revisionStart,
    revision_end: revisionEnd,
  };
}

export class Resources {
  constructor(
    private readonly ctx: MetricContext,
    private readonly types: ResourceTypes,
    private readonly metrics: Metrics,
  ) {}

  /** The stored id of a URL or body id (non-UUIDs are per creator, as in Gnocchi). */
  idOf(caller: Caller, id: string): string {
    return resourceUuid(id, `${caller.userId}:${caller.projectId}`);
  }

  /** Any resource by id, whatever the caller (for the port and internal callers). */
  async byId(id: string, tx?: StoreOps): Promise<Resource | undefined> {
    return (await (tx ?? this.ctx.store).get<Resource>(KIND.resource, id))?.data;
  }

  /** A resource of `type` (generic: any) the caller may read. */
  async find(caller: Caller, type: string, id: string): Promise<Resource> {
    await this.types.get(type);
    let key: string;
    try {
      key = this.idOf(caller, id);
    } catch {
      throw resourceNotFound(id);
    }
    const r = await this.byId(key);
    if (!r || (type !== 'generic' && r.type !== type)) throw resourceNotFound(id);
    if (!canReadResource(caller, r)) throw denied();
    return r;
  }

  async metricsOf(resourceId: string, tx?: StoreOps): Promise<Metric[]> {
    return (await (tx ?? this.ctx.store).find<Metric>(KIND.metric, { where: { resourceId } })).map((r) => r.data);
  }

  /** All metrics by resource id, for lists. */
  async metricsByResource(): Promise<Map<string, Metric[]>> {
    const out = new Map<string, Metric[]>();
    for (const r of await this.ctx.store.find<Metric>(KIND.metric, { shared: true })) {
      if (!r.data.resourceId) continue;
      let list = out.get(r.data.resourceId);
      if (!list) out.set(r.data.resourceId, (list = []));
      list.push(r.data);
    }
    return out;
  }

  async create(caller: Caller, type: string, body: unknown): Promise<Resource> {
    const t = await this.types.get(type);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('expected a dictionary');
    const b = body as Record<string, unknown>;
    if (typeof b.id !== 'string' || b.id === '') throw invalidInput("required key not provided @ data['id']");
    const id = this.idOf(caller, b.id);
    const now = this.ctx.clock.now();
    const startedAt = b.started_at === undefined ? now : this.time(b.started_at, 'started_at');
    const endedAt = b.ended_at === undefined || b.ended_at === null ? null : this.time(b.ended_at, 'ended_at');
    if (endedAt !== null && endedAt < startedAt) throw invalidInput('Start timestamp cannot be after end timestamp');
    const r: Resource = {
      id,
      type,
      originalResourceId: b.id,
      projectId: this.optId(b.project_id, 'project_id'),
      userId: this.optId(b.user_id, 'user_id'),
      createdByUserId: caller.userId,
      createdByProjectId: caller.projectId,
      startedAt,
      endedAt,
      revisionStart: now,
      attributes: this.attributes(t, b, true),
    };
    await this.ctx.store.tx(async (tx) => {
      if (await tx.get(KIND.resource, id)) throw resourceExists(b.id as string);
      await tx.create(KIND.resource, id, r);
      if (b.metrics !== undefined) await this.attach(tx, caller, r, b.metrics, true);
    });
    return r;
  }

  async update(caller: Caller, type: string, id: string, body: unknown): Promise<Resource> {
    const cur = await this.find(caller, type, id);
    if (!adminOrCreator(caller, cur)) throw denied();
    const t = await this.types.get(cur.type);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('expected a dictionary');
    const b = body as Record<string, unknown>;
    for (const k of ['id', 'type', 'created_by_user_id', 'created_by_project_id', 'creator', 'revision_start', 'revision_end', 'original_resource_id']) {
      if (k in b) throw invalidInput(`extra keys not allowed @ data['${k}']`);
    }
    const next: Resource = { ...cur, attributes: { ...cur.attributes, ...this.attributes(t, b, false) } };
    if ('project_id' in b) next.projectId = this.optId(b.project_id, 'project_id');
    if ('user_id' in b) next.userId = this.optId(b.user_id, 'user_id');
    if ('started_at' in b) next.startedAt = this.time(b.started_at, 'started_at');
    if ('ended_at' in b) next.endedAt = b.ended_at === null ? null : this.time(b.ended_at, 'ended_at');
    if (next.endedAt !== null && next.endedAt < next.startedAt) throw invalidInput('Start timestamp cannot be after end timestamp');
    const changed = JSON.stringify({ ...next, revisionStart: 0 }) !== JSON.stringify({ ...cur, revisionStart: 0 });
    return this.ctx.store.tx(async (tx) => {
      if (changed) {
        const now = Math.max(this.ctx.clock.now(), cur.revisionStart + 1);
        const rev: ResourceRevision = { ...cur, id: `${cur.id}@${cur.revisionStart}`, resourceId: cur.id, revisionEnd: now };
        await tx.create(KIND.history, rev.id, rev);
        next.revisionStart = now;
        await tx.update(KIND.resource, cur.id, next);
      }
      if (b.metrics !== undefined) await this.attach(tx, caller, next, b.metrics, false);
      return next;
    });
  }

  /**
   * Attaches `{name: <metric id> | {archive_policy_name, unit}}` to a resource. On update
   * (`append` false) the named set replaces the old one: metrics not named are deleted.
   */
  async attach(tx: StoreOps, caller: Caller, r: Resource, metrics: unknown, append: boolean): Promise<Metric[]> {
    if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) throw invalidInput("expected a dictionary @ data['metrics']");
    const existing = await this.metricsOf(r.id, tx);
    const out: Metric[] = [];
    for (const [name, spec] of Object.entries(metrics as Record<string, unknown>)) {
      const have = existing.find((m) => m.name === name);
      if (typeof spec === 'string') {
        const m = await this.metrics.require(spec, tx).catch(() => {
          throw invalidInput(`Metric ${spec} does not exist @ data['metrics']['${name}']`);
        });
        if (have?.id === m.id) continue;
        if (!adminOrCreator(caller, m)) throw denied();
        if (m.resourceId && m.resourceId !== r.id) throw invalidInput(`Metric ${m.id} is already attached to resource ${m.resourceId}`);
        if (have) await this.metrics.remove(tx, have.id);
        const moved = { ...m, resourceId: r.id, name };
        await tx.update(KIND.metric, m.id, moved);
        out.push(moved);
      } else {
        if (have) {
          if (append) throw invalidInput(`Named metric ${name} already exists`);
          continue;
        }
        const m = await this.metrics.build(caller, { ...((spec ?? {}) as MetricInput), name }, r.id);
        await this.metrics.insert(tx, m);
        out.push(m);
      }
    }
    if (!append) {
      const keep = new Set(Object.keys(metrics as object));
      for (const m of existing) if (m.name !== null && !keep.has(m.name)) await this.metrics.remove(tx, m.id);
    }
    return out;
  }

  /** POST /v1/resource/{type}/{id}/metric: adds metrics, 409 when a name exists. */
  async addMetrics(caller: Caller, type: string, id: string, metrics: unknown): Promise<Metric[]> {
    const r = await this.find(caller, type, id);
    if (!adminOrCreator(caller, r)) throw denied();
    return this.ctx.store.tx(async (tx) => {
      const names = Object.keys((metrics ?? {}) as object);
      const existing = await this.metricsOf(r.id, tx);
      const dup = existing.find((m) => m.name !== null && names.includes(m.name));
      if (dup) throw namedMetricExists(dup.name!);
      return this.attach(tx, caller, r, metrics, true);
    });
  }

  async metricOf(caller: Caller, type: string, id: string, name: string): Promise<{ resource: Resource; metric: Metric }> {
    const resource = await this.find(caller, type, id);
    const metric = (await this.metricsOf(resource.id)).find((m) => m.name === name);
    if (!metric) throw metricNotFound(name);
    return { resource, metric };
  }

  async delete(caller: Caller, type: string, id: string): Promise<void> {
    const r = await this.find(caller, type, id);
    if (!adminOrCreator(caller, r)) throw denied();
    await this.ctx.store.tx(async (tx) => this.remove(tx, r.id));
  }

  /** Deletes a resource, its history and its metrics (with their measures). */
  async remove(tx: StoreOps, id: string): Promise<void> {
    for (const m of await this.metricsOf(id, tx)) await this.metrics.remove(tx, m.id);
    await tx.deleteWhere(KIND.history, { resourceId: id });
    await tx.delete(KIND.resource, id);
  }

  /** DELETE /v1/resource/{type} with a filter: deletes what matches and the caller may delete. */
  async deleteMatching(caller: Caller, type: string, filter: unknown): Promise<number> {
    if (filter === undefined || filter === null) throw invalidInput('a filter is required to delete resources in batch');
    const hits = (await this.search(caller, type, { filter })).filter((r) => adminOrCreator(caller, r));
    await this.ctx.store.tx(async (tx) => {
      for (const r of hits) await this.remove(tx, r.id);
    });
    return hits.length;
  }

  async history(caller: Caller, type: string, id: string): Promise<{ resource: Resource; revisionEnd: number | null }[]> {
    const r = await this.find(caller, type, id);
    const revs = (await this.ctx.store.find<ResourceRevision>(KIND.history, { where: { resourceId: r.id } })).map((x) => x.data);
    const out: { resource: Resource; revisionEnd: number | null }[] = revs.sort((a, b) => a.revisionStart - b.revisionStart).map((v) => ({ resource: { ...v, id: v.resourceId }, revisionEnd: v.revisionEnd }));
    out.push({ resource: r, revisionEnd: null });
    return out;
  }

  /**
   * Resources of `type` (generic: every type) the caller may see, matching the filter,
   * sorted and paginated; with `history`, every revision too.
   */
  async search(caller: Caller, type: string, o: ListOptions): Promise<Resource[]> {
    return (await this.searchRows(caller, type, o)).map((x) => x.resource);
  }

  async searchRows(caller: Caller | null, type: string, o: ListOptions): Promise<{ resource: Resource; revisionEnd: number | null }[]> {
    const t = await this.types.get(type);
    const known = new Set([...GENERIC_FIELDS, ...Object.keys(t.attributes)]);
    const now = this.ctx.clock.now();
    const pred = o.filter === undefined || o.filter === null ? () => true : compileFilter(o.filter, known, now);
    const where = type === 'generic' ? undefined : { type };
    type Item = { resource: Resource; revisionEnd: number | null };
    let items: Item[] = (await this.ctx.store.find<Resource>(KIND.resource, { where, shared: true })).map((r) => ({ resource: r.data, revisionEnd: null }));
    if (o.history) {
      const revs = (await this.ctx.store.find<ResourceRevision>(KIND.history, { shared: true })).map((r) => r.data).filter((v) => type === 'generic' || v.type === type);
      items = items.concat(revs.map((v): Item => ({ resource: { ...v, id: v.resourceId }, revisionEnd: v.revisionEnd })));
    }
    const rows = items.filter((x) => (!caller || canReadResource(caller, x.resource)) && pred(resourceRow(x.resource, x.revisionEnd)));
    const sorts = parseSorts(o.sort ?? [], known);
    rows.sort((a, b) => compareRows(resourceRow(a.resource, a.revisionEnd), resourceRow(b.resource, b.revisionEnd), sorts));
    let start = 0;
    if (o.marker !== undefined) {
      const idx = rows.findIndex((x) => x.resource.id === o.marker || x.resource.originalResourceId === o.marker);
      if (idx < 0) throw invalidInput(`Invalid marker: \`${o.marker}'`);
      start = idx + 1;
    }
    return rows.slice(start, start + Math.min(o.limit ?? MAX_LIMIT, MAX_LIMIT));
  }

  private attributes(t: ResourceType, b: Record<string, unknown>, creating: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(b)) {
      if (RESERVED.has(k)) continue;
      if (!(k in t.attributes)) throw invalidInput(`extra keys not allowed @ data['${k}']`);
    }
    for (const [name, s] of Object.entries(t.attributes)) {
      if (name in b) out[name] = checkValue(name, s, b[name]);
      else if (creating) {
        if (s.required) throw invalidInput(`required key not provided @ data['${name}']`);
        out[name] = null;
      }
    }
    return out;
  }

  private optId(v: unknown, field: string): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.length > 255) throw invalidInput(`expected str for dictionary value @ data['${field}']`);
    return v;
  }

  private time(v: unknown, field: string): number {
    const t = timestampMs(v, this.ctx.clock.now());
    if (t === undefined) throw invalidInput(`Invalid timestamp ${JSON.stringify(v)} @ data['${field}']`);
    return t;
  }
}

type Sort = { key: string; desc: boolean; nullsFirst: boolean };

function parseSorts(sorts: string[], known: Set<string>): Sort[] {
  const out = sorts.map((s): Sort => {
    const [key, dir = 'asc'] = s.split(':');
    const m = /^(asc|desc)(?:-(nullsfirst|nullslast))?$/.exec(dir);
    if (!key || !known.has(key) || !m) throw invalidInput(`Invalid sort ${JSON.stringify(s)}: use <attribute>[:asc|desc[-nullsfirst|-nullslast]]`);
    const desc = m[1] === 'desc';
    return { key, desc, nullsFirst: m[2] ? m[2] === 'nullsfirst' : desc };
  });
  return [...out, { key: 'revision_start', desc: false, nullsFirst: false }, { key: 'id', desc: false, nullsFirst: false }];
}

function compareRows(a: Row, b: Row, sorts: Sort[]): number {
  for (const s of sorts) {
    const x = a[s.key] ?? null;
    const y = b[s.key] ?? null;
    if (x === y) continue;
    if (x === null) return s.nullsFirst ? -1 : 1;
    if (y === null) return s.nullsFirst ? 1 : -1;
    const c = (x as number | string) < (y as number | string) ? -1 : 1;
    return s.desc ? -c : c;
  }
  return 0;
}
