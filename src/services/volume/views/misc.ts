import { Quotas } from '../logic/quotas.js';
import { TYPED_RESOURCES, type QuotaLimits, type QuotaUsage, type TypeQuotaMap } from '../logic/models.js';

/** A volume type as the quota views name it. */
export interface TypeRef {
  id: string;
  name: string;
}

/** The per-type keys (`volumes_<type name>`, …) of every volume type. */
function typedKeys<T>(types: TypeRef[], typeLimits: TypeQuotaMap, value: (limit: number, r: (typeof TYPED_RESOURCES)[number], typeId: string) => T) {
  const out: Record<string, T> = {};
  for (const t of types) {
    const l = Quotas.typed(typeLimits, t.id);
    for (const r of TYPED_RESOURCES) out[`${r}_${t.name}`] = value(l[r], r, t.id);
  }
  return out;
}

export function quotaSetView(projectId: string | undefined, limits: QuotaLimits, typeLimits: TypeQuotaMap, types: TypeRef[]) {
  const typed = typedKeys(types, typeLimits, (limit) => limit);
  return projectId === undefined ? { ...limits, ...typed } : { id: projectId, ...limits, ...typed };
}

export function quotaUsageView(projectId: string, limits: QuotaLimits, typeLimits: TypeQuotaMap, types: TypeRef[], used: QuotaUsage) {
  const out: Record<string, unknown> = { id: projectId };
  for (const [k, limit] of Object.entries(limits)) {
    const inUse = k === 'volumes' || k === 'snapshots' || k === 'gigabytes' ? used[k] : 0;
    out[k] = { limit, in_use: inUse, reserved: 0 };
  }
  Object.assign(out, typedKeys(types, typeLimits, (limit, r, typeId) => ({ limit, in_use: used.byType[typeId]?.[r] ?? 0, reserved: 0 })));
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
  ['Capabilities', 'capabilities', 'Capabilities support.'],
  ['ExtendedSnapshotAttributes', 'os-extended-snapshot-attributes', 'Extended SnapshotAttributes support.'],
  ['Hosts', 'os-hosts', 'Admin-only host administration.'],
  ['QoSSpecsManage', 'qos-specs', 'QoS specs support.'],
  ['QuotaClasses', 'os-quota-class-sets', 'Quota classes management support.'],
  ['QuotaSets', 'os-quota-sets', 'Quota management support.'],
  ['SchedulerHints', 'OS-SCH-HNT', 'Pass arbitrary key/value pairs to the scheduler.'],
  ['SchedulerStats', 'scheduler-stats', 'Scheduler stats support.'],
  ['Services', 'os-services', 'Services support.'],
  ['TypesExtraSpecs', 'os-types-extra-specs', 'Type extra specs support.'],
  ['TypesManage', 'os-types-manage', 'Types manage support.'],
  ['VolumeActions', 'os-volume-actions', 'Enable volume actions.'],
  ['VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a volume.'],
  ['VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated with the volume.'],
  ['VolumeMigStatusAttribute', 'os-vol-mig-status-attr', 'Expose migration_status as an attribute of a volume.'],
  ['VolumeTenantAttribute', 'os-vol-tenant-attr', 'Expose the internal project_id as an attribute of a volume.'],
  ['VolumeTransfer', 'os-volume-transfer', 'Volume transfer management support.'],
  ['VolumeTypeAccess', 'os-volume-type-access', 'Volume type access support.'],
  ['VolumeTypeEncryption', 'encryption', 'Encryption support for volume types.'],
].map(([name, alias, description]) => ({ name: name!, alias: alias!, description: description!, updated: UPDATED, links: [] as unknown[] }));
