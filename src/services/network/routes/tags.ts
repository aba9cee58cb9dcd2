import type { FastifyInstance } from 'fastify';
import { isObject } from '../../../core/validate.js';
import * as c from '../api/convert.js';
import type { RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns, seesNetwork, seesPool, seesPort, seesSubnet } from '../logic/access.js';
import type { Repo } from '../logic/context.js';
import type { Actor, Standard } from '../logic/models.js';
import { actorOf, requireOwner, requireWriter } from '../policy.js';

type P = { Params: { res: string; id: string } };
type PT = { Params: { res: string; id: string; tag: string } };

const MAX_TAGS = 50;

interface Tagged {
  repo: Repo<Standard>;
  missing: (id: string) => Error;
  sees: (a: Actor, rec: Standard) => Promise<boolean>;
}

/** The standard-attr-tag API on every taggable collection: /{collection}/{id}/tags[/{tag}]. */
export function tagRoutes(app: FastifyInstance, { net }: RouteDeps): void {
  const own = async (a: Actor, r: Standard) => owns(a, r.projectId);
  const kinds: Record<string, Tagged> = {
    networks: { repo: net.r.networks as unknown as Repo<Standard>, missing: E.networkNotFound, sees: async (a, r) => seesNetwork(a, r as never) },
    subnets: {
      repo: net.r.subnets as unknown as Repo<Standard>,
      missing: E.subnetNotFound,
      sees: async (a, r) => seesSubnet(a, r as never, await net.networks.find((r as unknown as { networkId: string }).networkId)),
    },
    ports: {
      repo: net.r.ports as unknown as Repo<Standard>,
      missing: E.portNotFound,
      sees: async (a, r) => seesPort(a, r, await net.networks.find((r as unknown as { networkId: string }).networkId)),
    },
    routers: { repo: net.r.routers as unknown as Repo<Standard>, missing: E.routerNotFound, sees: own },
    floatingips: { repo: net.r.fips as unknown as Repo<Standard>, missing: E.fipNotFound, sees: own },
    'security-groups': { repo: net.r.sgs as unknown as Repo<Standard>, missing: E.sgNotFound, sees: own },
    subnetpools: { repo: net.r.pools as unknown as Repo<Standard>, missing: E.subnetpoolNotFound, sees: async (a, r) => seesPool(a, r as never) },
  };

  const load = async (a: Actor, res: string, id: string) => {
    const k = kinds[res];
    if (!k) throw E.notFoundPath();
    const rec = await k.repo.get(id);
    if (!rec || !(await k.sees(a, rec))) throw k.missing(id);
    return { k, rec };
  };
  const save = async (a: Actor, res: string, id: string, change: (tags: string[]) => string[]) =>
    net.ctx.tx(async () => {
      const { k, rec } = await load(a, res, id);
      requireOwner(a, rec.projectId, `update_${res}_tags`);
      const tags = change(rec.tags);
      if (tags.length > MAX_TAGS) throw E.attr(`Invalid input for tags. Reason: more than ${MAX_TAGS} tags.`);
      return (await k.repo.update({ ...rec, tags })).tags;
    });
  const tagOf = (t: string) => {
    const [tag] = c.tags([t], 'tags');
    return tag!;
  };

  app.get<P>('/:res/:id/tags', async (req) => ({ tags: (await load(actorOf(req.auth), req.params.res, req.params.id)).rec.tags }));

  app.put<P>('/:res/:id/tags', async (req) => {
    const a = requireWriter(req.auth, 'update_tags');
    if (!isObject(req.body) || !('tags' in req.body)) throw E.attr("Invalid input for tags. Reason: the body must be {\"tags\": [...]}.");
    const tags = c.tags(req.body.tags, 'tags');
    return { tags: await save(a, req.params.res, req.params.id, () => tags) };
  });

  app.delete<P>('/:res/:id/tags', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_tags');
    await save(a, req.params.res, req.params.id, () => []);
    reply.code(204).send();
  });

  app.get<PT>('/:res/:id/tags/:tag', async (req, reply) => {
    const { rec } = await load(actorOf(req.auth), req.params.res, req.params.id);
    if (!rec.tags.includes(req.params.tag)) throw E.notFound('TagNotFound', `Tag ${req.params.tag} could not be found for ${req.params.res} ${req.params.id}.`);
    reply.code(204).send();
  });

  app.put<PT>('/:res/:id/tags/:tag', async (req, reply) => {
    const a = requireWriter(req.auth, 'update_tags');
    const tag = tagOf(req.params.tag);
    await save(a, req.params.res, req.params.id, (t) => (t.includes(tag) ? t : [...t, tag]));
    reply.code(201).send();
  });

  app.delete<PT>('/:res/:id/tags/:tag', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_tags');
    await save(a, req.params.res, req.params.id, (t) => {
      if (!t.includes(req.params.tag)) throw E.notFound('TagNotFound', `Tag ${req.params.tag} could not be found for ${req.params.res} ${req.params.id}.`);
      return t.filter((x) => x !== req.params.tag);
    });
    reply.code(204).send();
  });
}
