import type { FastifyInstance } from 'fastify';
import { memberBody, parseAttrs, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import type { Agent } from '../logic/models.js';
import { actorOf, requireAdmin } from '../policy.js';
import { networkView } from '../views/core.js';
import { routerView } from '../views/l3.js';
import { agentView } from '../views/misc.js';

type P = { Params: { id: string } };
type PS = { Params: { id: string; sub: string } };

const ATTRS: AttrMap = { admin_state_up: { put: true, conv: c.bool }, description: { put: true, conv: c.str(255) } };
const one = (field: string) => c.shape({ [field]: { conv: c.uuid, required: true } }, (o) => o[field] as string);

/** Agents and the DHCP/L3 schedulers (admin only, as in Neutron). */
export function agentRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const view = (a: Agent) => agentView(a, net.agents.heartbeat, net.agents.started);
  const admin = { admin: true, vifType: net.caps.vifType };

  // Agents are visible to admins only: others get an empty list and 404s, as in Neutron.
  app.get('/agents', async (req) => {
    const agents = actorOf(req.auth).admin ? await net.agents.list() : [];
    return listReply(req, deps, 'agents', agents.map(view), E.agentNotFound);
  });
  app.get<P>('/agents/:id', async (req) => {
    if (!actorOf(req.auth).admin) throw E.agentNotFound(req.params.id);
    return showReply(req, 'agent', view(await net.agents.get(req.params.id)));
  });
  app.put<P>('/agents/:id', async (req) => {
    requireAdmin(req.auth, 'update_agent');
    const b = parseAttrs(memberBody(req.body, 'agent'), 'agent', ATTRS, 'PUT');
    const saved = await net.agents.update(req.params.id, { adminStateUp: b.admin_state_up as boolean | undefined, description: b.description as string | undefined });
    return { agent: view(saved) };
  });
  app.delete<P>('/agents/:id', async (req, reply) => {
    requireAdmin(req.auth, 'delete_agent');
    await net.agents.delete(req.params.id);
    reply.code(204).send();
  });

  app.get<P>('/agents/:id/dhcp-networks', async (req) => {
    requireAdmin(req.auth, 'get_dhcp-networks');
    const subnets = await net.subnets.idsByNetwork();
    return { networks: (await net.agents.dhcpNetworks(req.params.id)).map((n) => networkView(n, subnets.get(n.id) ?? [], admin)) };
  });
  app.post<P>('/agents/:id/dhcp-networks', async (req, reply) => {
    requireAdmin(req.auth, 'create_dhcp-network');
    await net.agents.scheduleNetwork(req.params.id, one('network_id')(req.body, 'network_id'), true);
    reply.code(201).send();
  });
  app.delete<PS>('/agents/:id/dhcp-networks/:sub', async (req, reply) => {
    requireAdmin(req.auth, 'delete_dhcp-network');
    await net.agents.scheduleNetwork(req.params.id, req.params.sub, false);
    reply.code(204).send();
  });
  app.get<P>('/networks/:id/dhcp-agents', async (req) => {
    requireAdmin(req.auth, 'get_dhcp-agents');
    return { agents: (await net.agents.dhcpAgentsOf(req.params.id)).map(view) };
  });

  app.get<P>('/agents/:id/l3-routers', async (req) => {
    requireAdmin(req.auth, 'get_l3-routers');
    const routers = await net.agents.l3Routers(req.params.id);
    const out = [];
    for (const r of routers) out.push(routerView(r, r.gateway?.portId ? await net.ports.find(r.gateway.portId) : undefined, admin));
    return { routers: out };
  });
  app.post<P>('/agents/:id/l3-routers', async (req, reply) => {
    requireAdmin(req.auth, 'create_l3-router');
    await net.agents.scheduleRouter(req.params.id, one('router_id')(req.body, 'router_id'), true);
    reply.code(201).send();
  });
  app.delete<PS>('/agents/:id/l3-routers/:sub', async (req, reply) => {
    requireAdmin(req.auth, 'delete_l3-router');
    await net.agents.scheduleRouter(req.params.id, req.params.sub, false);
    reply.code(204).send();
  });
  app.get<P>('/routers/:id/l3-agents', async (req) => {
    requireAdmin(req.auth, 'get_l3-agents');
    return { agents: (await net.agents.l3AgentsOf(req.params.id)).map(view) };
  });
}
