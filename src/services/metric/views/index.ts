import { creatorOf, type ArchivePolicy, type ArchivePolicyRule, type Metric, type Resource, type ResourceType } from '../logic/models.js';
import type { Measure } from '../logic/metrics.js';
import type { Series } from '../logic/operations.js';
import { formatTimedelta, isoTs } from '../logic/timespec.js';

/** Domain → Gnocchi wire JSON. */

export function policyView(p: ArchivePolicy) {
  return {
    name: p.name,
    back_window: p.backWindow,
    definition: p.definition.map((d) => ({ granularity: formatTimedelta(d.granularity), points: d.points, timespan: formatTimedelta(d.granularity * d.points) })),
    aggregation_methods: p.aggregationMethods,
  };
}

export function ruleView(r: ArchivePolicyRule) {
  return { name: r.name, metric_pattern: r.metricPattern, archive_policy_name: r.archivePolicyName };
}

export function resourceTypeView(t: ResourceType) {
  const attributes: Record<string, Record<string, unknown>> = {};
  for (const [k, a] of Object.entries(t.attributes)) {
    const v: Record<string, unknown> = { type: a.type, required: a.required };
    if (a.type === 'string') Object.assign(v, { min_length: a.minLength ?? 0, max_length: a.maxLength ?? 255 });
    if (a.type === 'number') Object.assign(v, { min: a.min ?? null, max: a.max ?? null });
    attributes[k] = v;
  }
  return { name: t.name, state: t.state, attributes };
}

export function metricView(m: Metric, policy: ArchivePolicy | undefined, resource?: Resource | null, withResource = false) {
  const out: Record<string, unknown> = {
    id: m.id,
    archive_policy: policy ? policyView(policy) : { name: m.archivePolicyName },
    creator: creatorOf(m),
    created_by_user_id: m.createdByUserId,
    created_by_project_id: m.createdByProjectId,
    name: m.name,
    unit: m.unit,
    resource_id: m.resourceId,
  };
  if (withResource) out.resource = resource ? resourceView(resource, null, undefined) : null;
  return out;
}

/** A metric in lists (`archive_policy/name` is what the client shows). */
export function metricListView(m: Metric) {
  return {
    id: m.id,
    archive_policy: { name: m.archivePolicyName },
    creator: creatorOf(m),
    created_by_user_id: m.createdByUserId,
    created_by_project_id: m.createdByProjectId,
    name: m.name,
    unit: m.unit,
    resource_id: m.resourceId,
  };
}

/**
 * A resource: generic fields, its type's attributes (`attributes` false: generic only, as a
 * generic listing without `details` shows) and `metrics` (name → id) when known.
 */
export function resourceView(r: Resource, revisionEnd: number | null, metrics: Metric[] | undefined, attributes = true) {
  const out: Record<string, unknown> = {
    id: r.id,
    type: r.type,
    original_resource_id: r.originalResourceId,
    project_id: r.projectId,
    user_id: r.userId,
    created_by_user_id: r.createdByUserId,
    created_by_project_id: r.createdByProjectId,
    creator: creatorOf(r),
    started_at: isoTs(r.startedAt),
    ended_at: r.endedAt === null ? null : isoTs(r.endedAt),
    revision_start: isoTs(r.revisionStart),
    revision_end: revisionEnd === null ? null : isoTs(revisionEnd),
  };
  if (attributes) Object.assign(out, r.attributes);
  if (metrics) out.metrics = Object.fromEntries(metrics.filter((m) => m.name !== null).map((m) => [m.name, m.id]));
  return out;
}

export function measuresView(rows: Measure[]): [string, number, number][] {
  return rows.map(([t, g, v]) => [isoTs(t), g / 1000, v]);
}

/** Series into Gnocchi's nested `{"<key>": {"<key>": [[ts, g, v], ...]}}`, coarsest first. */
export function seriesTree(series: Series[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const s of series) {
    let node = root;
    for (const k of s.key.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    const leaf = s.key[s.key.length - 1]!;
    const list = (node[leaf] ??= []) as [string, number, number][];
    for (const [t, v] of s.points) list.push([isoTs(t), s.granularity / 1000, v]);
  }
  return root;
}
