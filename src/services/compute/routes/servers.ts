import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../policy.js';
import { body, canonicalIpv6, invalid, ipv4, ipv6, name, onlyKeys } from '../schemas/common.js';
import { nextLink, parseServerQuery } from '../schemas/queries.js';
import { parseServerCreate } from '../schemas/server-create.js';
import type { ServerPatch } from '../logic/server-queries.js';
import { serverBasic, serverBrief, serverCreated, serverDetail, serverDetailJson } from '../views/server.js';
import { viewCtx, type ComputeRouteDeps, type IdParams } from './deps.js';

function parseUpdate(raw: unknown): ServerPatch {
  const s = body(raw, 'server');
  onlyKeys(s, ['name', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig'], 'server');
  const patch: ServerPatch = {};
  if (s.name !== undefined) patch.name = name(s.name);
  if (s.accessIPv4 !== undefined) patch.accessIPv4 = s.accessIPv4 === '' || s.accessIPv4 === null ? '' : ipv4(s.accessIPv4, 'accessIPv4');
  if (s.accessIPv6 !== undefined) patch.accessIPv6 = s.accessIPv6 === '' || s.accessIPv6 === null ? '' : canonicalIpv6(ipv6(s.accessIPv6, 'accessIPv6'));
  const dc = s['OS-DCF:diskConfig'];
  if (dc !== undefined) {
    if (dc !== 'AUTO' && dc !== 'MANUAL') throw invalid('OS-DCF:diskConfig', `${JSON.stringify(dc)} is not one of ['AUTO', 'MANUAL']`);
    patch.diskConfig = dc;
  }
  return patch;
}

/** Servers: list, detail, show, create, update, delete. */
export function serverRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;

  const list = (detail: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = authorize(req, 'read');
    const q = parseServerQuery(req.query);
    const page = q.noMatch ? { servers: [], more: false } : await logic.queries.list(caller, q);
    const url = `${d.base()}/v2.1/servers${detail ? '/detail' : ''}`;
    const last = page.servers[page.servers.length - 1];
    const next = page.more && last && q.limit !== undefined ? nextLink(url, req.query, q.limit, last.id) : undefined;
    if (detail) {
      // The same bytes JSON.stringify would give for { servers, servers_links }, assembled
      // from each server's cached text (see serverDetailJson).
      const v = await viewCtx(d, caller, page.servers);
      const items = page.servers.map((s) => serverDetailJson(s, v)).join(',');
      reply.type('application/json; charset=utf-8');
      return `{"servers":[${items}]${next ? `,"servers_links":${JSON.stringify(next)}` : ''}}`;
    }
    const out: Record<string, unknown> = { servers: page.servers.map((s) => serverBrief(s, d.base())) };
    if (next) out.servers_links = next;
    return out;
  };
  app.get('/servers', list(false));
  app.get('/servers/detail', list(true));

  app.get<IdParams>('/servers/:id', async (req) => {
    const caller = authorize(req, 'read');
    const s = await logic.servers.find(caller, req.params.id);
    return { server: serverDetail(s, await viewCtx(d, caller, [s])) };
  });

  app.post('/servers', async (req, reply) => {
    const caller = authorize(req, 'write');
    const input = parseServerCreate(req.body);
    const r = await logic.createServers(caller, input);
    reply.code(202);
    if (input.returnReservationId) return { reservation_id: r.reservationId };
    const first = r.servers[0]!;
    reply.header('location', `${d.base()}/v2.1/servers/${first.id}`);
    return { server: serverCreated(first, r.adminPass, d.base()) };
  });

  app.put<IdParams>('/servers/:id', async (req) => {
    const caller = authorize(req, 'write');
    const patch = parseUpdate(req.body);
    const s = await logic.queries.update(caller, req.params.id, patch);
    return { server: serverBasic(s, await viewCtx(d, caller, [s])) };
  });

  app.delete<IdParams>('/servers/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await logic.actions.delete(caller, req.params.id);
    reply.code(204).send();
  });

  // Nova answers 405 for methods a collection does not have.
  app.route({ method: ['PUT', 'DELETE', 'PATCH'], url: '/servers', handler: async () => { throw Object.assign(new Error('Method not allowed.'), { statusCode: 405 }); } });
}
