import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { seesPool } from '../logic/access.js';
import type { Actor, SubnetPool } from '../logic/models.js';
import type { PoolInput } from '../logic/subnetpools.js';
import { actorOf, adminOnly, requireOwner, requireWriter, targetProject } from '../policy.js';
import { poolView } from '../views/misc.js';

type P = { Params: { id: string } };

const ATTRS: AttrMap = {
  ...STANDARD,
  prefixes: { post: true, put: true, conv: c.list(c.cidrText, 100) },
  default_prefixlen: { post: true, put: true, conv: c.int(0, 128) },
  min_prefixlen: { post: true, put: true, conv: c.int(0, 128) },
  max_prefixlen: { post: true, put: true, conv: c.int(0, 128) },
  shared: { post: true, conv: c.bool },
  is_default: { post: true, put: true, conv: c.bool },
  default_quota: { post: true, put: true, conv: c.nullable(c.int(0, 2 ** 31 - 1)) },
};

function toInput(b: Json): PoolInput {
  return {
    name: b.name as string | undefined,
    description: b.description as string | undefined,
    tags: b.tags as string[] | undefined,
    prefixes: b.prefixes as string[] | undefined,
    defaultPrefixlen: b.default_prefixlen as number | undefined,
    minPrefixlen: b.min_prefixlen as number | undefined,
    maxPrefixlen: b.max_prefixlen as number | undefined,
    shared: b.shared as boolean | undefined,
    isDefault: b.is_default as boolean | undefined,
    defaultQuota: b.default_quota as number | null | undefined,
  };
}

/** Subnet pools (`subnet_allocation`, `default-subnetpools`). */
export function subnetpoolRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const visible = async (a: Actor, id: string): Promise<SubnetPool> => {
    const p = await net.r.pools.get(id);
    if (!p || !seesPool(a, p)) throw E.subnetpoolNotFound(id);
    return p;
  };

  app.get('/subnetpools', async (req) => {
    const a = actorOf(req.auth);
    const views = (await net.pools.list()).filter((p) => seesPool(a, p)).map(poolView);
    return listReply(req, deps, 'subnetpools', views, E.subnetpoolNotFound);
  });

  app.get<P>('/subnetpools/:id', async (req) => showReply(req, 'subnetpool', poolView(await visible(actorOf(req.auth), req.params.id))));

  app.post('/subnetpools', async (req, reply) =>
    createReply(req, reply, deps, 'subnetpool', 'subnetpools', async (item) => {
      const b = parseAttrs(item, 'subnetpool', ATTRS, 'POST');
      if (b.prefixes === undefined) throw E.attr(`Failed to parse request. Required attribute 'prefixes' not specified`);
      const projectId = targetProject(req.auth, 'create_subnetpool', bodyProject(b));
      adminOnly(actorOf(req.auth), b, ['shared', 'is_default'], 'create_subnetpool', { shared: false, is_default: false });
      return poolView(await net.pools.create(projectId, toInput(b)));
    }),
  );

  app.put<P>('/subnetpools/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_subnetpool');
    const b = parseAttrs(memberBody(req.body, 'subnetpool'), 'subnetpool', ATTRS, 'PUT');
    const p = await visible(a, req.params.id);
    requireOwner(a, p.projectId, 'update_subnetpool');
    adminOnly(a, b, ['is_default'], 'update_subnetpool');
    return { subnetpool: poolView(await net.pools.update(p.id, toInput(b), ifMatch(req.headers))) };
  });

  app.delete<P>('/subnetpools/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_subnetpool');
    const p = await visible(a, req.params.id);
    requireOwner(a, p.projectId, 'delete_subnetpool');
    await net.pools.delete(p.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
