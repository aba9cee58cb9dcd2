import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns } from '../logic/access.js';
import type { Actor, SecurityGroup, SecurityGroupRule } from '../logic/models.js';
import { normalizeProtocol } from '../logic/rules-check.js';
import { actorOf, requireOwner, requireWriter, targetProject } from '../policy.js';
import { groupView, ruleView } from '../views/misc.js';

type P = { Params: { id: string } };

const GROUP_ATTRS: AttrMap = { ...STANDARD, stateful: { post: true, put: true, conv: c.bool } };

/** Neutron's convert_validate_port_value: an integer 0–65535, else "Invalid value for port". */
const port: c.Conv<number | null> = (v) => {
  if (v === null) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw E.bad('SecurityGroupInvalidPortValue', `Invalid value for port ${String(v)}.`);
  return n;
};
const ethertype: c.Conv<'IPv4' | 'IPv6'> = (v, name) => {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s === 'ipv4' || s === 'ipv6') return s === 'ipv4' ? 'IPv4' : 'IPv6';
  throw c.invalid(name, `'${String(v)}' is not in ['IPv4', 'IPv6']`);
};

const RULE_ATTRS: AttrMap = {
  description: STANDARD.description!,
  tenant_id: STANDARD.tenant_id!,
  project_id: STANDARD.project_id!,
  security_group_id: { post: true, required: true, conv: c.str(255) },
  direction: { post: true, required: true, conv: c.oneOf(['ingress', 'egress'] as const) },
  ethertype: { post: true, conv: ethertype },
  protocol: { post: true, conv: (v) => normalizeProtocol(v) },
  port_range_min: { post: true, conv: port },
  port_range_max: { post: true, conv: port },
  remote_ip_prefix: { post: true, conv: c.nullable(c.str(64)) },
  remote_group_id: { post: true, conv: c.nullable(c.str(255)) },
};
const RULE_PUT: AttrMap = { description: { put: true, conv: c.str(255) } };

export function securityGroupRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const visible = async (a: Actor, id: string): Promise<SecurityGroup> => {
    const g = await net.r.sgs.get(id);
    if (!g || !owns(a, g.projectId)) throw E.sgNotFound(id);
    return g;
  };
  const visibleRule = async (a: Actor, id: string): Promise<SecurityGroupRule> => {
    const r = await net.r.rules.get(id);
    if (!r || !owns(a, r.projectId)) throw E.sgRuleNotFound(id);
    return r;
  };
  const render = async (g: SecurityGroup) => groupView(g, await net.sgs.rulesOf(g.id));

  app.get('/security-groups', async (req) => {
    const a = actorOf(req.auth);
    // The project's default group appears on first use, here included (Neutron does the same).
    const q = req.query as Record<string, string | string[] | undefined>;
    const wanted = [q.tenant_id, q.project_id].flat().filter((x): x is string => typeof x === 'string');
    for (const p of wanted.length ? wanted : a.projectId ? [a.projectId] : []) if (owns(a, p)) await net.sgs.ensureDefault(p);
    const rules = await net.r.rules.list();
    const byGroup = new Map<string, SecurityGroupRule[]>();
    for (const r of rules) byGroup.set(r.securityGroupId, [...(byGroup.get(r.securityGroupId) ?? []), r]);
    const views = (await net.r.sgs.list()).filter((g) => owns(a, g.projectId)).map((g) => groupView(g, byGroup.get(g.id) ?? []));
    return listReply(req, deps, 'security_groups', views, E.sgNotFound);
  });

  app.get<P>('/security-groups/:id', async (req) => showReply(req, 'security_group', await render(await visible(actorOf(req.auth), req.params.id))));

  app.post('/security-groups', async (req, reply) =>
    createReply(req, reply, deps, 'security_group', 'security_groups', async (item) => {
      const b = parseAttrs(item, 'security_group', GROUP_ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_security_group', bodyProject(b));
      const g = await net.sgs.create(projectId, {
        name: b.name as string | undefined,
        description: b.description as string | undefined,
        tags: b.tags as string[] | undefined,
        stateful: b.stateful as boolean | undefined,
      });
      return render(g);
    }),
  );

  app.put<P>('/security-groups/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_security_group');
    const b = parseAttrs(memberBody(req.body, 'security_group'), 'security_group', GROUP_ATTRS, 'PUT');
    const g = await visible(a, req.params.id);
    requireOwner(a, g.projectId, 'update_security_group');
    const patch = { name: b.name as string | undefined, description: b.description as string | undefined, stateful: b.stateful as boolean | undefined };
    return { security_group: await render(await net.sgs.update(g.id, patch, ifMatch(req.headers))) };
  });

  app.delete<P>('/security-groups/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_security_group');
    const g = await visible(a, req.params.id);
    await net.sgs.delete(a, g.id, ifMatch(req.headers));
    reply.code(204).send();
  });

  app.get('/security-group-rules', async (req) => {
    const a = actorOf(req.auth);
    const views = (await net.r.rules.list()).filter((r) => owns(a, r.projectId)).map(ruleView);
    return listReply(req, deps, 'security_group_rules', views, E.sgRuleNotFound);
  });

  app.get<P>('/security-group-rules/:id', async (req) => showReply(req, 'security_group_rule', ruleView(await visibleRule(actorOf(req.auth), req.params.id))));

  app.post('/security-group-rules', async (req, reply) =>
    createReply(req, reply, deps, 'security_group_rule', 'security_group_rules', async (item) => {
      const b: Json = parseAttrs(item, 'security_group_rule', RULE_ATTRS, 'POST');
      targetProject(req.auth, 'create_security_group_rule', bodyProject(b));
      const a = actorOf(req.auth);
      const rule = await net.sgs.createRule(a, {
        securityGroupId: b.security_group_id as string,
        direction: b.direction as 'ingress' | 'egress',
        ethertype: (b.ethertype as 'IPv4' | 'IPv6' | undefined) ?? 'IPv4',
        protocol: (b.protocol as string | null | undefined) ?? null,
        portRangeMin: (b.port_range_min as number | null | undefined) ?? null,
        portRangeMax: (b.port_range_max as number | null | undefined) ?? null,
        remoteIpPrefix: (b.remote_ip_prefix as string | null | undefined) ?? null,
        remoteGroupId: (b.remote_group_id as string | null | undefined) ?? null,
        description: b.description as string | undefined,
      });
      return ruleView(rule);
    }),
  );

  app.put<P>('/security-group-rules/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_security_group_rule');
    const b = parseAttrs(memberBody(req.body, 'security_group_rule'), 'security_group_rule', RULE_PUT, 'PUT');
    const r = await visibleRule(a, req.params.id);
    return { security_group_rule: ruleView(await net.sgs.updateRule(r.id, (b.description as string | undefined) ?? r.description, ifMatch(req.headers))) };
  });

  app.delete<P>('/security-group-rules/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_security_group_rule');
    const r = await visibleRule(a, req.params.id);
    await net.sgs.deleteRule(r.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
