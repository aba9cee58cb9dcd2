import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, StratusError } from '../../../core/errors.js';
import { proxyOf, type VolumeProxy } from '../logic/proxy-ports.js';
import { shield } from '../logic/shield.js';
import { authorize } from '../policy.js';
import { body, invalid, metadata, onlyKeys, optString } from '../schemas/common.js';
import { qp } from '../schemas/queries.js';
import { snapshotView, volumeView } from '../views/proxies.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

/** Nova's osapi_max_limit. */
const MAX_LIMIT = 1000;

/** Nova's `limited`: `offset` then `limit` (at most 1,000) over the whole list. */
export function limited<T>(items: T[], query: unknown): T[] {
  const num = (name: string) => {
    const v = qp(query, name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v.trim())) throw badRequest(`${name} param must be an integer`);
    return Number(v);
  };
  const offset = num('offset') ?? 0;
  const limit = Math.min(num('limit') ?? MAX_LIMIT, MAX_LIMIT);
  return items.slice(offset, offset + limit);
}

/** Nova's size: an integer ≥ 1, or a string of digits. */
function size(v: unknown): number {
  if (v === undefined) throw invalid('volume', "None. 'size' is a required property");
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalid('size', `${JSON.stringify(v)}. ${JSON.stringify(v)} does not match '^[0-9]+$'`);
  if (n < 1) throw badRequest(`Invalid input received: Volume size '${String(v)}' must be an integer and greater than 0.`);
  return n;
}

/**
 * `GET /os-volumes/` is a show of the empty id in Nova's router (404); the gateway ignores
 * trailing slashes, so the list handler tells them apart.
 */
function emptyId(req: FastifyRequest, what: 'Volume' | 'Snapshot'): void {
  if (req.url.split('?')[0]!.endsWith('/')) throw new StratusError('NotFound', `${what}  could not be found.`, `${what}NotFound`);
}

const nullable = (o: Record<string, unknown>, field: string) => optString(o, field) ?? null;

/** os-volumes and os-snapshots: Cinder as Nova 2.1 shows it. */
export function volumeProxyRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const vp = (): VolumeProxy => shield(proxyOf(d.logic.ctx.ports.volumes, 'volume'), 'volume', d.log);
  const list = async (req: FastifyRequest) => {
    const caller = authorize(req, 'read');
    emptyId(req, 'Volume');
    return { volumes: limited(await vp().listVolumes(caller), req.query).map(volumeView) };
  };
  app.get('/os-volumes', list);
  app.get('/os-volumes/detail', list);
  app.get<IdParams>('/os-volumes/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { volume: volumeView(await vp().getVolume(caller, req.params.id)) };
  });
  app.post('/os-volumes', async (req, reply: FastifyReply) => {
    const caller = authorize(req, 'write');
    const b = body(req.body, 'volume');
    onlyKeys(b, ['volume_type', 'metadata', 'snapshot_id', 'size', 'availability_zone', 'display_name', 'display_description'], 'volume');
    const v = await vp().createVolume(caller, {
      size: size(b.size),
      name: nullable(b, 'display_name'),
      description: nullable(b, 'display_description'),
      volumeType: nullable(b, 'volume_type'),
      availabilityZone: nullable(b, 'availability_zone'),
      snapshotId: nullable(b, 'snapshot_id'),
      metadata: b.metadata === undefined ? {} : metadata(b.metadata),
    });
    reply.header('location', `${d.base()}/v2.1/os-volumes/${v.id}`);
    return { volume: volumeView(v) };
  });
  app.delete<IdParams>('/os-volumes/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await vp().deleteVolume(caller, req.params.id);
    reply.code(202).send();
  });

  const snapshots = async (req: FastifyRequest) => {
    const caller = authorize(req, 'read');
    emptyId(req, 'Snapshot');
    return { snapshots: limited(await vp().listSnapshots(caller), req.query).map(snapshotView) };
  };
  app.get('/os-snapshots', snapshots);
  app.get('/os-snapshots/detail', snapshots);
  app.get<IdParams>('/os-snapshots/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { snapshot: snapshotView(await vp().getSnapshot(caller, req.params.id)) };
  });
  app.post('/os-snapshots', async (req) => {
    const caller = authorize(req, 'write');
    const b = body(req.body, 'snapshot');
    onlyKeys(b, ['volume_id', 'force', 'display_name', 'display_description'], 'snapshot');
    if (typeof b.volume_id !== 'string' || !b.volume_id) throw invalid('snapshot', "None. 'volume_id' is a required property");
    const f = b.force;
    if (f !== undefined && typeof f !== 'boolean' && !(typeof f === 'string' && /^(true|false|1|0|yes|no|on|off|t|f|y|n)$/i.test(f)))
      throw invalid('force', `${JSON.stringify(f)}. ${JSON.stringify(f)} is not of type 'boolean'`);
    const force = f === true || (typeof f === 'string' && /^(true|1|yes|on|t|y)$/i.test(f));
    const s = await vp().createSnapshot(caller, { volumeId: b.volume_id, name: nullable(b, 'display_name'), description: nullable(b, 'display_description'), force });
    return { snapshot: snapshotView(s) };
  });
  app.delete<IdParams>('/os-snapshots/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await vp().deleteSnapshot(caller, req.params.id);
    reply.code(202).send();
  });
}
