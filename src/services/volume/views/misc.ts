import type { QuotaLimits, QuotaUsage } from '../logic/models.js';

export function quotaSetView(projectId: string | undefined, limits: QuotaLimits) {
  return projectId === undefined ? { ...limits } : { id: projectId, ...limits };
}

export function quotaUsageView(projectId: string, limits: QuotaLimits, used: QuotaUsage) {
  const out: Record<string, unknown> = { id: projectId };
  for (const [k, limit] of Object.entries(limits)) {
    out[k] = { limit, in_use: (used as unknown as Record<string, number>)[k] ?? 0, reserved: 0 };
  }
  return out;
}

export function absoluteLimitsView(limits: QuotaLimits, used: QuotaUsage) {
  return {
    maxTotalVolumes: limits.volumes,
    maxTotalSnapshots: limits.snapshots,
    maxTotalVolumeGigabytes: limits.gigabytes,
    maxTotalBackups: limits.backups,
    maxTotalBackupGigabytes: limits.backup_gigabytes,
    totalVolumesUsed: used.volumes,
    totalSnapshotsUsed: used.snapshots,
    totalGigabytesUsed: used.gigabytes,
    totalBackupsUsed: 0,
    totalBackupGigabytesUsed: 0,
  };
}

const UPDATED = '2013-04-18T00:00:00+00:00';

/** The API extensions this implementation provides, by their Cinder names. */
export const EXTENSIONS = [
  ['AdminActions', 'os-admin-actions', 'Enable admin actions.'],
  ['AvailabilityZones', 'os-availability-zone', 'Describe Availability Zones.'],
  ['ExtendedSnapshotAttributes', 'os-extended-snapshot-attributes', 'Extended SnapshotAttributes support.'],
  ['Hosts', 'os-hosts', 'Admin-only host administration.'],
  ['QuotaSets', 'os-quota-sets', 'Quota management support.'],
  ['SchedulerHints', 'OS-SCH-HNT', 'Pass arbitrary key/value pairs to the scheduler.'],
  ['TypesExtraSpecs', 'os-types-extra-specs', 'Type extra specs support.'],
  ['TypesManage', 'os-types-manage', 'Types manage support.'],
  ['VolumeActions', 'os-volume-actions', 'Enable volume actions.'],
  ['VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a volume.'],
  ['VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated with the volume.'],
  ['VolumeMigStatusAttribute', 'os-vol-mig-status-attr', 'Expose migration_status as an attribute of a volume.'],
  ['VolumeTenantAttribute', 'os-vol-tenant-attr', 'Expose the internal project_id as an attribute of a volume.'],
  ['VolumeTypeAccess', 'os-volume-type-access', 'Volume type access support.'],
].map(([name, alias, description]) => ({ name: name!, alias: alias!, description: description!, updated: UPDATED, links: [] as unknown[] }));
