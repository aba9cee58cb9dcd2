import type { Caller, Metric, Resource } from './models.js';

/**
 * Gnocchi's default policy, as predicates: `admin_or_creator` (admin, or the record was
 * created by the caller's user or project), `resource_owner` (the resource's project is the
 * caller's) and `metric_owner` (the metric's resource's project is the caller's).
 */
export function adminOrCreator(c: Caller, r: { createdByUserId: string; createdByProjectId: string }): boolean {
  return c.admin || r.createdByUserId === c.userId || r.createdByProjectId === c.projectId;
}

export function canReadResource(c: Caller, r: Resource): boolean {
  return adminOrCreator(c, r) || r.projectId === c.projectId;
}

export function canReadMetric(c: Caller, m: Metric, resource: Resource | undefined): boolean {
  return adminOrCreator(c, m) || (!!resource && resource.projectId === c.projectId);
}
