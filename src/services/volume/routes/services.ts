import type { FastifyInstance } from 'fastify';
import { badRequest, StratusError } from '../../../core/errors.js';
import { isObject, q, str } from '../../../core/validate.js';
import { VOLUME_HOST } from '../logic/services.js';
import { callerOf } from '../policy.js';
import { cinderTime } from '../views/common.js';
import type { VolumeRouteDeps } from './deps.js';

/** The backend's facts, the same in get_pools and capabilities. */
export const BACKEND = { volume_backend_name: 'file', vendor_name: 'Open Source', driver_version: '1.0', storage_protocol: 'local' } as const;

function hostBody(body: unknown): { host: string; binary: string } {
  if (!isObject(body)) throw badRequest('Missing request body: host and binary are required.');
  // NOTE: Cinder also takes the old `service` key for the binary.
  const binary = str(body, 'binary', { max: 255 }) ?? str(body, 'service', { max: 255 });
  if (!binary) throw badRequest("Invalid input received: 'binary' is required.");
  return { host: str(body, 'host', { required: true, max: 255 }), binary };
}

/** os-services (list, enable, disable, freeze, thaw) and backend capabilities; admin only. */
export function serviceRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  app.get('/os-services', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:services:index');
    const filter: { host?: string; binary?: string } = {};
    const host = q(req.query, 'host');
    const binary = q(req.query, 'binary') ?? q(req.query, 'service');
    if (host !== undefined) filter.host = host;
    if (binary !== undefined) filter.binary = binary;
    const list = await bs.services.list(filter);
    return {
      services: list.map((s) => ({
        binary: s.binary,
        host: s.host,
        zone: s.zone,
        status: s.disabled ? 'disabled' : 'enabled',
        state: 'up',
        updated_at: cinderTime(s.updatedAt),
        disabled_reason: s.disabledReason,
        ...(s.binary === 'cinder-volume' ? { frozen: s.frozen, replication_status: 'disabled', active_backend_id: null } : {}),
      })),
    };
  });

  const toggle = (disabled: boolean, withReason: boolean) => async (req: { auth: Parameters<typeof callerOf>[0]; body: unknown }) => {
    callerOf(req.auth, 'admin', 'volume_extension:services:update');
    const { host, binary } = hostBody(req.body);
    let reason: string | null = null;
    if (withReason) {
      const raw = isObject(req.body) ? req.body.disabled_reason : undefined;
      if (typeof raw !== 'string' || !raw.trim() || raw.length > 255) throw badRequest('Invalid input received: disabled_reason must be a non-empty string of at most 255 characters.');
      reason = raw.trim();
    }
    const s = await bs.services.setDisabled(host, binary, disabled, reason);
    const out = { host: s.host, binary: s.binary, service: s.binary, status: s.disabled ? 'disabled' : 'enabled', disabled: s.disabled };
    return disabled && !withReason ? out : { ...out, disabled_reason: s.disabledReason };
  };
  app.put('/os-services/enable', toggle(false, false));
  app.put('/os-services/disable', toggle(true, false));
  app.put('/os-services/disable-log-reason', toggle(true, true));

  for (const [path, frozen] of [['freeze', true], ['thaw', false]] as const) {
    app.put(`/os-services/${path}`, async (req, reply) => {
      callerOf(req.auth, 'admin', `volume_extension:services:${path}`);
      if (!isObject(req.body)) throw badRequest("Invalid input received: 'host' is required.");
      await bs.services.setFrozen(str(req.body, 'host', { required: true, max: 255 }), frozen);
      reply.code(200).send();
    });
  }

  app.get<{ Params: { host: string } }>('/capabilities/:host', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:capabilities');
    const host = req.params.host.split('#')[0];
    if (host !== VOLUME_HOST) throw new StratusError('NotFound', `Host ${req.params.host.slice(0, 100)} could not be found.`, 'HostNotFound');
    return {
      namespace: `OS::Storage::Capabilities::${VOLUME_HOST}`,
      ...BACKEND,
      pool_name: null,
      description: null,
      display_name: null,
      visibility: null,
      replication_targets: [],
      properties: {
        thin_provisioning: { title: 'Thin Provisioning', description: 'Sets thin provisioning.', type: 'boolean' },
      },
    };
  });
}
