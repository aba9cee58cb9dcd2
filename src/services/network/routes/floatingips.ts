import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns } from '../logic/access.js';
import type { Actor, FloatingIp, Port } from '../logic/models.js';
import { actorOf, adminOnly, requireWriter, targetProject } from '../policy.js';
import { fipView } from '../views/l3.js';

type P = { Params: { id: string } };

const { name: _name, ...WITHOUT_NAME } = STANDARD;
const ATTRS: AttrMap = {
  ...WITHOUT_NAME,
  floating_network_id: { post: true, required: true, conv: c.uuid },
  floating_ip_address: { post: true, conv: c.ip },
  subnet_id: { post: true, conv: c.nullable(c.uuid) },
  port_id: { post: true, put: true, conv: c.nullable(c.uuid) },
  fixed_ip_address: { post: true, put: true, conv: c.nullable(c.ip) },
  dns_name: { post: true, conv: c.dnsName },
  dns_domain: { post: true, conv: c.str(255) },
};

export function floatingIpRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const render = async (f: FloatingIp, ports?: Map<string, Port>) => fipView(f, f.portId ? (ports ? ports.get(f.portId) : await net.ports.find(f.portId)) : undefined);
  const visible = async (a: Actor, id: string): Promise<FloatingIp> => {
    const f = await net.r.fips.get(id);
    if (!f || !owns(a, f.projectId)) throw E.fipNotFound(id);
    return f;
  };

  app.get('/floatingips', async (req) => {
    const a = actorOf(req.auth);
    const ports = new Map((await net.ports.list()).map((p) => [p.id, p]));
    const fips = (await net.fips.list()).filter((f) => owns(a, f.projectId));
    const views: Json[] = [];
    for (const f of fips) views.push(await render(f, ports));
    return listReply(req, deps, 'floatingips', views, E.fipNotFound);
  });

  app.get<P>('/floatingips/:id', async (req) => showReply(req, 'floatingip', await render(await visible(actorOf(req.auth), req.params.id))));

  app.post('/floatingips', async (req, reply) =>
    createReply(req, reply, deps, 'floatingip', 'floatingips', async (item) => {
      const b = parseAttrs(item, 'floatingip', ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_floatingip', bodyProject(b));
      const a = actorOf(req.auth);
      adminOnly(a, b, ['floating_ip_address'], 'create_floatingip');
      const fip = await net.fips.create(a, projectId, {
        floatingNetworkId: b.floating_network_id as string,
        floatingIpAddress: b.floating_ip_address as string | undefined,
        subnetId: (b.subnet_id as string | null | undefined) ?? undefined,
        portId: b.port_id as string | null | undefined,
        fixedIpAddress: (b.fixed_ip_address as string | null | undefined) ?? undefined,
        description: b.description as string | undefined,
        tags: b.tags as string[] | undefined,
        dnsName: b.dns_name as string | undefined,
        dnsDomain: b.dns_domain as string | undefined,
      });
      return render(fip);
    }),
  );

  app.put<P>('/floatingips/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_floatingip');
    const b = parseAttrs(memberBody(req.body, 'floatingip'), 'floatingip', ATTRS, 'PUT');
    const f = await visible(a, req.params.id);
    const saved = await net.fips.update(
      a,
      f.id,
      {
        portId: b.port_id as string | null | undefined,
        fixedIpAddress: (b.fixed_ip_address as string | null | undefined) ?? undefined,
        description: b.description as string | undefined,
      },
      ifMatch(req.headers),
    );
    return { floatingip: await render(saved) };
  });

  app.delete<P>('/floatingips/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_floatingip');
    const f = await visible(a, req.params.id);
    await net.fips.delete(f.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
