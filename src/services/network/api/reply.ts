import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Json } from '../../../core/validate.js';
import type { Networking } from '../logic/index.js';
import { createBody } from './attrs.js';
import { filterViews, page, parseQuery, pick, type CustomFilter } from './query.js';

/** What every route module gets. */
export interface RouteDeps {
  net: Networking;
  /** Absolute URL of the API root, `<base>/networking/v2.0`. */
  root(): string;
}

/** A collection GET: filters, sorting, paging with `<collection>_links`, and `fields`. */
export function listReply(
  req: FastifyRequest,
  deps: RouteDeps,
  collection: string,
  views: Json[],
  notFound: (id: string) => Error,
  custom?: Record<string, CustomFilter>,
): Json {
  const q = parseQuery(req.query);
  const filtered = filterViews(views, q, custom);
  const p = page(filtered, q, `${deps.root()}/${collection}`, req.query, notFound);
  const out: Json = { [collection]: p.items.map((v) => pick(v, q.fields)) };
  if (p.links.length) out[`${collection}_links`] = p.links;
  return out;
}

/** A member GET (or write reply): `{"<member>": view}`, restricted by `fields` on GET. */
export function showReply(req: FastifyRequest, member: string, view: Json): Json {
  return { [member]: pick(view, parseQuery(req.query).fields) };
}

/**
 * POST with Neutron's bulk semantics: `{"<member>": {...}}` gives `{"<member>": view}`, and
 * `{"<collection>": [...]}` creates all of them in one transaction (all or none).
 */
export async function createReply(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: RouteDeps,
  member: string,
  collection: string,
  one: (item: unknown) => Promise<Json>,
): Promise<Json> {
  const { items, bulk } = createBody(req.body, member, collection);
  const out = await deps.net.ctx.tx(async () => {
    const views: Json[] = [];
    for (const it of items) views.push(await one(it));
    return views;
  });
  reply.code(201);
  return bulk ? { [collection]: out } : { [member]: out[0]! };
}
