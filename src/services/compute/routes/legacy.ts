import type { FastifyInstance } from 'fastify';
import { badRequest, StratusError } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { E } from '../logic/errors.js';
import { INTERNAL_ZONE } from '../logic/models.js';
import { authorize } from '../policy.js';
import { isoTime, qp } from '../schemas/queries.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

/** The 2.1 extension names whose behaviour Stratus has (Nova lists them statically). */
const EXTENSIONS: [string, string, string][] = [
  ['AccessIPs', 'os-access-ips', 'Access IPs support.'],
  ['AdminActions', 'os-admin-actions', 'Enable admin-only server actions.'],
  ['Aggregates', 'os-aggregates', 'Admin-only aggregate administration.'],
  ['AvailabilityZone', 'os-availability-zone', 'Availability zone support.'],
  ['ConfigDrive', 'os-config-drive', 'Config Drive Extension.'],
  ['ConsoleOutput', 'os-console-output', 'Console log output support.'],
  ['Consoles', 'os-consoles', 'Interactive Console support.'],
  ['CreateBackup', 'os-create-backup', 'Create a backup of a server.'],
  ['DiskConfig', 'os-disk-config', 'Disk Management Extension.'],
  ['ExtendedAvailabilityZone', 'os-extended-availability-zone', 'Extended Availability Zone support.'],
  ['ExtendedIps', 'os-extended-ips', 'Adds type parameter to the ip list.'],
  ['ExtendedIpsMac', 'os-extended-ips-mac', 'Adds mac address parameter to the ip list.'],
  ['ExtendedServerAttributes', 'os-extended-server-attributes', 'Extended Server Attributes support.'],
  ['ExtendedStatus', 'os-extended-status', 'Extended Status support.'],
  ['ExtendedVolumes', 'os-extended-volumes', 'Extended Volumes support.'],
  ['FlavorAccess', 'os-flavor-access', 'Flavor access support.'],
  ['FlavorExtraData', 'os-flavor-rxtx', 'Provide additional data for flavors.'],
  ['FlavorExtraSpecs', 'os-flavor-extra-specs', 'Flavors extra specs support.'],
  ['FlavorManage', 'os-flavor-manage', 'Flavor create/delete API support.'],
  ['FloatingIpPools', 'os-floating-ip-pools', 'Floating IPs support.'],
  ['FloatingIps', 'os-floating-ips', 'Floating IPs support.'],
  ['FloatingIpsBulk', 'os-floating-ips-bulk', 'Bulk handling of Floating IPs.'],
  ['Flavors', 'flavors', 'Flavors Extension.'],
  ['Hosts', 'os-hosts', 'Admin-only host administration.'],
  ['Hypervisors', 'os-hypervisors', 'Admin-only hypervisor administration.'],
  ['Images', 'images', 'Images.'],
  ['InstanceActions', 'os-instance-actions', 'View a log of actions and events taken on an instance.'],
  ['Keypairs', 'os-keypairs', 'Keypair Support.'],
  ['Limits', 'limits', 'Limits support.'],
  ['Lock', 'os-lock-server', 'Enable lock/unlock server actions.'],
  ['Migrations', 'os-migrations', 'Provide data on migrations.'],
  ['Networks', 'os-networks', 'Admin-only Network Management Extension.'],
  ['PauseServer', 'os-pause-server', 'Enable pause/unpause server actions.'],
  ['QuotaSets', 'os-quota-sets', 'Quotas management support.'],
  ['SecurityGroups', 'os-security-groups', 'Security group support.'],
  ['ServerDiagnostics', 'os-server-diagnostics', 'Allow Admins to view server diagnostics through server id.'],
  ['ServerExternalEvents', 'os-server-external-events', 'Server External Event Triggers.'],
  ['ServerGroups', 'os-server-groups', 'Server group support.'],
  ['ServerMetadata', 'server-metadata', 'Server metadata Support.'],
  ['Servers', 'servers', 'Servers.'],
  ['ServerUsage', 'os-server-usage', 'Adds launched_at and terminated_at on Servers.'],
  ['Services', 'os-services', 'Services support.'],
  ['SimpleTenantUsage', 'os-simple-tenant-usage', 'Simple tenant usage extension.'],
  ['SuspendServer', 'os-suspend-server', 'Enable suspend/resume server actions.'],
  ['TenantNetworks', 'os-tenant-networks', 'Tenant-based Network Management Extension.'],
  ['Versions', 'versions', 'API Version information.'],
  ['VolumeAttachments', 'os-volume-attachments', 'Volume attachments.'],
  ['Volumes', 'os-volumes', 'Volumes support.'],
];

function extension([name, alias, description]: [string, string, string]) {
  return { name, alias, description, namespace: 'http://docs.openstack.org/compute/ext/fake_xml', updated: '2014-12-03T00:00:00Z', links: [] };
}

/** extensions: the static list of Nova's 2.1 extensions that Stratus implements. */
export function extensionRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/extensions', async (req) => {
    authorize(req, 'read');
    return { extensions: EXTENSIONS.map(extension) };
  });
  app.get<IdParams>('/extensions/:id', async (req) => {
    authorize(req, 'read');
    const found = EXTENSIONS.find((e) => e[1] === req.params.id);
    if (!found) throw logic.infra.noExtension(req.params.id);
    return { extension: extension(found) };
  });

}

/** os-hosts (admin, deprecated in 2.43): hosts and their services, enable/disable. */
export function hostRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get('/os-hosts', async (req) => {
    authorize(req, 'admin');
    const zone = qp(req.query, 'zone');
    const hosts = [];
    for (const s of await logic.infra.listServices({})) {
      const z = s.zone === INTERNAL_ZONE ? INTERNAL_ZONE : await logic.aggregates.zoneOf(s.host);
      if (!zone || z === zone) hosts.push({ host_name: s.host, service: s.binary.replace(/^nova-/, ''), zone: z });
    }
    return { hosts };
  });
  app.get<IdParams>('/os-hosts/:id', async (req) => {
    authorize(req, 'admin');
    const h = (await logic.infra.hypervisors()).find((x) => x.provider.name === req.params.id);
    if (!h) throw E.notFound(`Compute host ${req.params.id} could not be found.`, 'ComputeHostNotFound');
    const host = h.provider.name;
    const resource = (project: string, cpu: number, memory_mb: number, disk_gb: number) => ({ resource: { host, project, cpu, memory_mb, disk_gb } });
    return {
      host: [
        resource('(total)', h.provider.vcpus, h.provider.memoryMb, h.provider.diskGb),
        resource('(used_now)', h.used.vcpus, h.used.memoryMb, h.used.diskGb),
        resource('(used_max)', h.used.vcpus, h.used.memoryMb, h.used.diskGb),
      ],
    };
  });

  const requireHost = async (host: string) => {
    if (!(await logic.infra.listServices({ host })).length) throw E.notFound(`Compute host ${host} could not be found.`, 'ComputeHostNotFound');
  };
  app.put<IdParams>('/os-hosts/:id', async (req) => {
    authorize(req, 'admin');
    await requireHost(req.params.id);
    const b = isObject(req.body) ? req.body : {};
    const status = b.status;
    const maintenance = b.maintenance_mode;
    if (status === undefined && maintenance === undefined) throw badRequest("'status' or 'maintenance_mode' is required.");
    if (status !== undefined && status !== 'enable' && status !== 'disable') throw badRequest(`Invalid status: '${String(status)}'`);
    if (maintenance !== undefined && maintenance !== 'enable' && maintenance !== 'disable') throw badRequest(`Invalid mode: '${String(maintenance)}'`);
    if (maintenance !== undefined) throw E.conflict('Maintenance mode is not supported by this cloud.', 'NotImplemented');
    const s = await logic.infra.setService(req.params.id, 'nova-compute', status === 'disable', null);
    return { host: s.host, status: s.disabled ? 'disabled' : 'enabled' };
  });
  for (const action of ['startup', 'shutdown', 'reboot']) {
    app.get<IdParams>(`/os-hosts/:id/${action}`, async (req) => {
      authorize(req, 'admin');
      await requireHost(req.params.id);
      throw new StratusError('Conflict', `Host power actions (${action}) are not supported by this cloud.`, 'NotImplemented');
    });
  }
}

/** os-server-external-events (admin): Neutron's and Cinder's notifications to Nova. */
export function eventRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.post('/os-server-external-events', async (req) => {
    authorize(req, 'admin');
    const events = isObject(req.body) ? req.body.events : undefined;
    if (!Array.isArray(events) || events.length === 0) throw badRequest("Invalid input for field/attribute events: 'events' is a required non-empty list");
    const out = [];
    for (const e of events) {
      if (!isObject(e) || typeof e.name !== 'string' || typeof e.server_uuid !== 'string') throw badRequest("Each event needs 'name' and 'server_uuid'.");
      const found = await logic.servers.get(e.server_uuid).catch(() => undefined);
      out.push({ name: e.name, server_uuid: e.server_uuid, status: typeof e.status === 'string' ? e.status : 'completed', ...(e.tag !== undefined ? { tag: e.tag } : {}), code: found ? 200 : 404 });
    }
    return { events: out };
  });
}

/** os-instance_usage_audit_log (admin): Stratus runs no usage audit task, so no host has run. */
export function auditRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  const log = async (before?: string) => {
    const end = before === undefined ? Date.now() : isoTime(before.replace(' ', 'T'), 'before_timestamp');
    const hosts = (await logic.infra.listServices({ binary: 'nova-compute' })).map((s) => s.host);
    const month = new Date(end);
    const start = Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - 1, 1);
    const stop = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
    return {
      hosts_not_run: hosts,
      log: {},
      num_hosts: hosts.length,
      num_hosts_done: 0,
      num_hosts_not_run: hosts.length,
      num_hosts_running: 0,
      overall_status: `0 of ${hosts.length} hosts done. 0 errors.`,
      period_beginning: new Date(start).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ''),
      period_ending: new Date(stop).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ''),
      total_errors: 0,
      total_instances: 0,
    };
  };
  app.get('/os-instance_usage_audit_log', async (req) => {
    authorize(req, 'admin');
    return { instance_usage_audit_logs: await log() };
  });
  app.get<IdParams>('/os-instance_usage_audit_log/:id', async (req) => {
    authorize(req, 'admin');
    return { instance_usage_audit_log: await log(decodeURIComponent(req.params.id)) };
  });
}
