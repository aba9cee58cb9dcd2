import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { E } from '../logic/errors.js';
import { authorize } from '../policy.js';
import { body, metadata, onlyKeys, optString, uuidField } from '../schemas/common.js';
import { actionView, attachmentView } from '../views/resources.js';
import { serverIps } from '../views/server.js';
import { viewCtx, type ComputeRouteDeps, type IdParams } from './deps.js';

type KeyParams = { Params: { id: string; key: string } };

/** Server metadata (`/servers/{id}/metadata[/key]`). */
export function serverMetadataRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get<IdParams>('/servers/:id/metadata', async (req) => {
    const caller = authorize(req, 'read');
    return { metadata: (await logic.servers.find(caller, req.params.id)).metadata };
  });
  for (const [method, replace] of [['PUT', true], ['POST', false]] as const) {
    app.route<IdParams>({
      method,
      url: '/servers/:id/metadata',
      handler: async (req) => {
        const caller = authorize(req, 'write');
        const items = metadata(body(req.body, 'metadata'));
        return { metadata: await logic.queries.setMetadata(caller, req.params.id, items, replace) };
      },
    });
  }
  app.get<KeyParams>('/servers/:id/metadata/:key', async (req) => {
    const caller = authorize(req, 'read');
    return { meta: { [req.params.key]: await logic.queries.metadataItem(caller, req.params.id, req.params.key) } };
  });
  app.put<KeyParams>('/servers/:id/metadata/:key', async (req) => {
    const caller = authorize(req, 'write');
    const meta = metadata(body(req.body, 'meta'), 'meta');
    const keys = Object.keys(meta);
    if (keys.length > 1) throw badRequest('Request body contains too many items');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch');
    await logic.queries.setMetadata(caller, req.params.id, meta, false);
    return { meta };
  });
  app.delete<KeyParams>('/servers/:id/metadata/:key', async (req, reply) => {
    const caller = authorize(req, 'write');
    await logic.queries.deleteMetadataItem(caller, req.params.id, req.params.key);
    reply.code(204).send();
  });

}

/** os-server-password, diagnostics, os-virtual-interfaces and ips of a server. */
export function serverInfoRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  // os-server-password: Stratus never stores an encrypted password, so it is always empty.
  app.get<IdParams>('/servers/:id/os-server-password', async (req) => {
    await logic.servers.find(authorize(req, 'read'), req.params.id);
    return { password: '' };
  });
  app.delete<IdParams>('/servers/:id/os-server-password', async (req, reply) => {
    await logic.servers.find(authorize(req, 'write'), req.params.id);
    reply.code(204).send();
  });

  app.get<IdParams>('/servers/:id/diagnostics', async (req) => {
    const caller = authorize(req, 'admin');
    const s = await logic.servers.find(caller, req.params.id);
    const info = await logic.ctx.driver.getInfo(s.id);
    if (!info) throw E.conflict(`Instance ${s.id} is not ready on its host.`, 'InstanceNotReady');
    const out: Record<string, number> = { cpu0_time: info.cpuTimeNs, memory: info.memoryMiB * 1024 };
    info.volumes.forEach((_v, i) => (out[`vd${String.fromCharCode(98 + i)}_read`] = 0));
    return out;
  });
  // Nova with Neutron has no virtual interfaces API (400), as tempest expects.
  app.get<IdParams>('/servers/:id/os-virtual-interfaces', async (req) => {
    await logic.servers.find(authorize(req, 'read'), req.params.id);
    if (logic.ctx.ports.network.available) throw badRequest('os-virtual-interfaces is not available with Neutron networking.');
    return { virtual_interfaces: [] };
  });

  app.get<IdParams>('/servers/:id/ips', async (req) => {
    const caller = authorize(req, 'read');
    const s = await logic.servers.find(caller, req.params.id);
    return { addresses: serverIps(s, await viewCtx(d, caller, [s])) };
  });
  app.get<KeyParams>('/servers/:id/ips/:key', async (req) => {
    const caller = authorize(req, 'read');
    const s = await logic.servers.find(caller, req.params.id);
    const all = serverIps(s, await viewCtx(d, caller, [s]));
    const list = all[req.params.key];
    if (!list) throw E.notFound(`Network ${req.params.key} could not be found.`, 'NetworkNotFound');
    return { [req.params.key]: list };
  });
}

/** os-instance-actions and os-volume_attachments of a server. */
export function serverHistoryRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  app.get<IdParams>('/servers/:id/os-instance-actions', async (req) => {
    const caller = authorize(req, 'read');
    await logic.servers.find(caller, req.params.id);
    return { instanceActions: (await logic.instanceActions.list(req.params.id)).map((a) => actionView(a, false, caller.admin)) };
  });
  app.get<KeyParams>('/servers/:id/os-instance-actions/:key', async (req) => {
    const caller = authorize(req, 'read');
    await logic.servers.find(caller, req.params.id);
    return { instanceAction: actionView(await logic.instanceActions.get(req.params.id, req.params.key), true, caller.admin) };
  });

  app.get<IdParams>('/servers/:id/os-volume_attachments', async (req) => {
    const caller = authorize(req, 'read');
    return { volumeAttachments: (await logic.volumes.list(caller, req.params.id)).map(attachmentView) };
  });
  app.post<IdParams>('/servers/:id/os-volume_attachments', async (req) => {
    const caller = authorize(req, 'write');
    const b = body(req.body, 'volumeAttachment');
    onlyKeys(b, ['volumeId', 'device', 'tag', 'delete_on_termination'], 'volumeAttachment');
    const volumeId = uuidField(b.volumeId, 'volumeAttachment/volumeId');
    const device = b.device === null ? null : optString(b, 'device');
    if (device && !/^\/dev\/[a-z]+[a-z0-9]*$/.test(device)) throw badRequest(`The supplied device path (${device}) is invalid.`);
    return { volumeAttachment: attachmentView(await logic.volumes.attach(caller, req.params.id, volumeId, device)) };
  });
  app.get<KeyParams>('/servers/:id/os-volume_attachments/:key', async (req) => {
    const caller = authorize(req, 'read');
    return { volumeAttachment: attachmentView(await logic.volumes.get(caller, req.params.id, req.params.key)) };
  });
  app.delete<KeyParams>('/servers/:id/os-volume_attachments/:key', async (req, reply) => {
    const caller = authorize(req, 'write');
    await logic.volumes.detach(caller, req.params.id, req.params.key);
    reply.code(202).send();
  });
  app.put<KeyParams>('/servers/:id/os-volume_attachments/:key', async (req) => {
    const caller = authorize(req, 'admin');
    const b = body(req.body, 'volumeAttachment');
    const newId = uuidField(b.volumeId, 'volumeAttachment/volumeId');
    await logic.volumes.get(caller, req.params.id, req.params.key);
    await logic.ctx.ports.volumes.get(caller, newId).catch(() => {
      throw E.bad(`Volume ${newId} could not be found.`, 'VolumeNotFound');
    });
    throw E.conflict('Swapping volumes is not supported by this cloud.');
  });
}
