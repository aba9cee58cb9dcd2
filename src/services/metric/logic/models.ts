/**
 * The metric domain (Gnocchi): what Stratus stores. camelCase fields; wire names live in
 * views/. Times are epoch ms, granularities and timespans ms.
 */

export const KIND = {
  policy: 'metric.archive_policy',
  rule: 'metric.archive_policy_rule',
  resourceType: 'metric.resource_type',
  resource: 'metric.resource',
  history: 'metric.resource_history',
  metric: 'metric.metric',
  /** Per metric: the raw-measure buffer and the list of stored splits. */
  archive: 'metric.archive',
  /** A fixed-size piece of one aggregated series. */
  split: 'metric.split',
} as const;

/** Who calls, as far as Gnocchi's default policy cares. */
export interface Caller {
  userId: string;
  projectId: string;
  admin: boolean;
}

export interface ArchiveDefinition {
  granularity: number;
  points: number;
}

export interface ArchivePolicy {
  id: string;
  name: string;
  backWindow: number;
  definition: ArchiveDefinition[];
  aggregationMethods: string[];
}

export interface ArchivePolicyRule {
  id: string;
  name: string;
  metricPattern: string;
  archivePolicyName: string;
}

export type AttributeType = 'string' | 'uuid' | 'number' | 'bool' | 'datetime';

export interface AttributeSchema {
  type: AttributeType;
  required: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number | null;
  max?: number | null;
}

export interface ResourceType {
  id: string;
  name: string;
  state: 'active';
  attributes: Record<string, AttributeSchema>;
  builtin: boolean;
}

export interface Resource {
  id: string;
  type: string;
  originalResourceId: string;
  projectId: string | null;
  userId: string | null;
  createdByUserId: string;
  createdByProjectId: string;
  startedAt: number;
  endedAt: number | null;
  revisionStart: number;
  /** The type's own attributes (display_name, flavor_id…). */
  attributes: Record<string, unknown>;
}

/** A past revision of a resource (`revisionEnd` set); id `<resource id>@<revisionStart>`. */
export interface ResourceRevision extends Resource {
  resourceId: string;
  revisionEnd: number;
}

export interface Metric {
  id: string;
  name: string | null;
  unit: string | null;
  resourceId: string | null;
  archivePolicyName: string;
  createdByUserId: string;
  createdByProjectId: string;
  createdAt: number;
}

export function creatorOf(r: { createdByUserId: string; createdByProjectId: string }): string {
  return `${r.createdByUserId}:${r.createdByProjectId}`;
}
