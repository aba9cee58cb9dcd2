import type { FastifyInstance } from 'fastify';
import { isObject, type Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns, seesNetwork } from '../logic/access.js';
import { OWNER, type Actor, type Router } from '../logic/models.js';
import type { GatewayInput, RouterInput } from '../logic/routers.js';
import { actorOf, adminOnly, requireWriter, targetProject } from '../policy.js';
import { interfaceView, routerView } from '../views/l3.js';

type P = { Params: { id: string } };

const fixedIp = c.shape({ subnet_id: { conv: c.uuid }, ip_address: { conv: c.ip } }, (o) => ({ subnetId: o.subnet_id as string | undefined, ipAddress: o.ip_address as string | undefined }));
const gatewayShape = c.shape(
  { network_id: { conv: c.uuid, required: true }, enable_snat: { conv: c.bool }, external_fixed_ips: { conv: c.list(fixedIp, 10) } },
  (o) => ({ networkId: o.network_id as string, enableSnat: o.enable_snat as boolean | undefined, externalFixedIps: o.external_fixed_ips as GatewayInput['externalFixedIps'] }),
);
/** `{}` and null both mean "no gateway". */
const gateway: c.Conv<GatewayInput | null> = (v, name) => (v === null || (isObject(v) && Object.keys(v).length === 0) ? null : gatewayShape(v, name));
const route = c.shape({ destination: { conv: c.str(64), required: true }, nexthop: { conv: c.str(64), required: true } }, (o) => ({
  destination: o.destination as string,
  nexthop: o.nexthop as string,
}));

const ATTRS: AttrMap = {
  ...STANDARD,
  admin_state_up: { post: true, put: true, conv: c.bool },
  external_gateway_info: { post: true, put: true, conv: gateway },
  routes: { put: true, conv: (v, n) => (v === null ? [] : c.list(route, 1000)(v, n)) },
  distributed: { post: true, put: true, conv: c.bool },
  ha: { post: true, put: true, conv: c.bool },
  availability_zone_hints: { post: true, conv: c.list(c.str(255)) },
};

function toInput(b: Json): RouterInput {
  for (const az of (b.availability_zone_hints as string[] | undefined) ?? [])
    if (az !== 'nova') throw E.bad('AvailabilityZoneNotFound', `AvailabilityZone ${az} could not be found.`);
  return {
    name: b.name as string | undefined,
    description: b.description as string | undefined,
    tags: b.tags as string[] | undefined,
    adminStateUp: b.admin_state_up as boolean | undefined,
    gateway: b.external_gateway_info as GatewayInput | null | undefined,
    routes: b.routes as RouterInput['routes'],
    distributed: b.distributed as boolean | undefined,
    ha: b.ha as boolean | undefined,
    azHints: b.availability_zone_hints as string[] | undefined,
  };
}

const iface = c.shape({ subnet_id: { conv: c.uuid }, port_id: { conv: c.uuid } }, (o) => ({ subnetId: o.subnet_id as string | undefined, portId: o.port_id as string | undefined }));

export function routerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const render = async (a: Actor, r: Router) => {
    const gw = r.gateway?.portId ? await net.ports.find(r.gateway.portId) : undefined;
    return routerView(r, gw, { admin: a.admin, vifType: net.caps.vifType });
  };
  const visible = async (a: Actor, id: string): Promise<Router> => {
    const r = await net.routers.find(id);
    if (!r || !owns(a, r.projectId)) throw E.routerNotFound(id);
    return r;
  };
  /** Gateway rules: an external network the caller can see; SNAT and fixed IPs are admin-only. */
  const checkGateway = async (a: Actor, b: Json, action: string) => {
    const gw = b.external_gateway_info as GatewayInput | null | undefined;
    if (!gw) return;
    adminOnly(a, { enable_snat: gw.enableSnat, external_fixed_ips: gw.externalFixedIps }, ['enable_snat', 'external_fixed_ips'], `${action}:external_gateway_info`);
    const n = await net.networks.find(gw.networkId);
    if (!n || !seesNetwork(a, n)) throw E.networkNotFound(gw.networkId);
  };

  app.get('/routers', async (req) => {
    const a = actorOf(req.auth);
    const gwPorts = new Map((await net.ports.list({ deviceOwner: OWNER.routerGateway })).map((p) => [p.id, p]));
    const views = (await net.routers.list())
      .filter((r) => owns(a, r.projectId))
      .map((r) => routerView(r, r.gateway?.portId ? gwPorts.get(r.gateway.portId) : undefined, { admin: a.admin, vifType: net.caps.vifType }));
    return listReply(req, deps, 'routers', views, E.routerNotFound);
  });

  app.get<P>('/routers/:id', async (req) => {
    const a = actorOf(req.auth);
    return showReply(req, 'router', await render(a, await visible(a, req.params.id)));
  });

  app.post('/routers', async (req, reply) =>
    createReply(req, reply, deps, 'router', 'routers', async (item) => {
      const b = parseAttrs(item, 'router', ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_router', bodyProject(b));
      const a = actorOf(req.auth);
      adminOnly(a, b, ['distributed', 'ha'], 'create_router', { distributed: false, ha: false });
      await checkGateway(a, b, 'create_router');
      return render(a, await net.routers.create(projectId, toInput(b)));
    }),
  );

  app.put<P>('/routers/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_router');
    const b = parseAttrs(memberBody(req.body, 'router'), 'router', ATTRS, 'PUT');
    const r = await visible(a, req.params.id);
    adminOnly(a, b, ['distributed', 'ha'], 'update_router');
    await checkGateway(a, b, 'update_router');
    return { router: await render(a, await net.routers.update(r.id, toInput(b), ifMatch(req.headers))) };
  });

  app.delete<P>('/routers/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_router');
    const r = await visible(a, req.params.id);
    await net.routers.delete(r.id, ifMatch(req.headers));
    reply.code(204).send();
  });

  app.put<P>('/routers/:id/add_router_interface', async (req) => {
    const a = requireWriter(req.auth, 'add_router_interface');
    const by = iface(req.body ?? {}, 'router_interface');
    const r = await visible(a, req.params.id);
    return interfaceView(await net.interfaces.add(a, r.id, by));
  });

  app.put<P>('/routers/:id/remove_router_interface', async (req) => {
    const a = requireWriter(req.auth, 'remove_router_interface');
    const by = iface(req.body ?? {}, 'router_interface');
    const r = await visible(a, req.params.id);
    return interfaceView(await net.interfaces.remove(a, r.id, by));
  });
}
