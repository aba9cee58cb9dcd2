import type { HypervisorView, TenantUsage } from '../logic/infra.js';
import type { ComputeService, Flavor, InstanceAction, Keypair, ServerGroup } from '../logic/models.js';
import type { Limits } from '../logic/quotas.js';
import type { AttachmentView } from '../logic/volumes.js';
import { links } from './server.js';

/** Nova's timestamps with microseconds and no zone, as keypairs and services show them. */
function usec(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

export function flavorBrief(f: Flavor, base: string) {
  return { id: f.id, name: f.name, links: links(base, 'flavors', f.id) };
}

export function flavorDetail(f: Flavor, base: string) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    vcpus: f.vcpus,
    swap: f.swap === 0 ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': f.disabled,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: links(base, 'flavors', f.id),
  };
}

export function keypairCreated(k: Keypair, privateKey?: string) {
  const out: Record<string, unknown> = { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, user_id: k.userId };
  if (privateKey !== undefined) out.private_key = privateKey;
  return out;
}

export function keypairListItem(k: Keypair) {
  return { keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint } };
}

export function keypairShow(k: Keypair) {
  return {
    name: k.name,
    public_key: k.publicKey,
    fingerprint: k.fingerprint,
    user_id: k.userId,
    id: k.seq,
    created_at: usec(k.createdAt),
    updated_at: null,
    deleted_at: null,
    deleted: false,
  };
}

export function groupView(g: ServerGroup) {
  return { id: g.id, name: g.name, policies: [g.policy], members: [...g.members], metadata: {} };
}

export function actionView(a: InstanceAction, withEvents: boolean, admin: boolean) {
  const out: Record<string, unknown> = {
    action: a.action,
    instance_uuid: a.serverId,
    request_id: a.requestId,
    user_id: a.userId,
    project_id: a.projectId,
    start_time: usec(a.startTime),
    message: a.message,
  };
  if (withEvents) {
    out.events = a.events.map((e) => ({
      event: e.event,
      start_time: usec(e.startTime),
      finish_time: e.finishTime === null ? null : usec(e.finishTime),
      result: e.result,
      ...(admin ? { traceback: e.traceback } : {}),
    }));
  }
  return out;
}

export function attachmentView(a: AttachmentView) {
  return { id: a.volumeId, volumeId: a.volumeId, serverId: a.serverId, device: a.device };
}

export function hypervisorBrief(h: HypervisorView) {
  return { id: h.provider.seq, hypervisor_hostname: h.provider.name, state: 'up', status: h.service?.disabled ? 'disabled' : 'enabled' };
}

export function hypervisorDetail(h: HypervisorView) {
  const p = h.provider;
  return {
    ...hypervisorBrief(h),
    cpu_info: p.cpuInfo,
    current_workload: 0,
    disk_available_least: h.capacity.diskGb - h.used.diskGb,
    host_ip: p.hostIp,
    free_disk_gb: h.capacity.diskGb - h.used.diskGb,
    free_ram_mb: p.memoryMb - h.used.memoryMb,
    hypervisor_type: 'stratus',
    hypervisor_version: 1000,
    local_gb: p.diskGb,
    local_gb_used: h.used.diskGb,
    memory_mb: p.memoryMb,
    memory_mb_used: h.used.memoryMb,
    running_vms: h.runningVms,
    service: { host: p.name, id: h.service?.seq ?? 0, disabled_reason: h.service?.disabledReason ?? null },
    vcpus: p.vcpus,
    vcpus_used: h.used.vcpus,
  };
}

export function serviceView(s: ComputeService) {
  return {
    id: s.seq,
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: s.forcedDown ? 'down' : 'up',
    updated_at: usec(s.updatedAt),
    disabled_reason: s.disabledReason,
  };
}

export function quotaView(limits: Limits, id?: string) {
  const { server_groups, server_group_members, ...rest } = limits;
  return { ...(id !== undefined ? { id } : {}), ...rest, server_groups, server_group_members };
}

export function usageView(t: TenantUsage, detailed: boolean) {
  const out: Record<string, unknown> = {
    tenant_id: t.projectId,
    start: usec(t.start),
    stop: usec(t.stop),
    total_hours: t.totalHours,
    total_local_gb_usage: t.totalLocalGbUsage,
    total_memory_mb_usage: t.totalMemoryMbUsage,
    total_vcpus_usage: t.totalVcpusUsage,
  };
  if (detailed) {
    out.server_usages = t.servers.map(({ record: r, hours, uptime }) => ({
      instance_id: r.id,
      name: r.name,
      tenant_id: r.projectId,
      flavor: r.flavorName,
      vcpus: r.vcpus,
      memory_mb: r.memoryMb,
      local_gb: r.localGb,
      hours,
      started_at: usec(r.startedAt),
      ended_at: r.endedAt === null ? null : usec(r.endedAt),
      state: r.endedAt === null ? r.state : 'terminated',
      uptime,
    }));
  }
  return out;
}
