import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../../core/errors.js';
import { accountNotAllowed, getAccount, headAccount, postAccount } from './account.js';
import { identify } from './access.js';
import { bulkDelete } from './bulk.js';
import { extractArchive } from './extract.js';
import { deleteContainer, getContainer, headContainer, postContainer, putContainer } from './container.js';
import { getObject, headObject } from './object-read.js';
import { copyObject, deleteObject, postObject, putObject } from './object-write.js';
import { parsePath, query, type Handler, type SwiftCall, type SwiftDeps } from './request.js';
import { formPost, isFormPost } from './formpost.js';
import { respond } from './respond.js';
import { staticWeb } from './staticweb.js';

type Level = 'account' | 'container' | 'object';

const HANDLERS: Record<Level, Record<string, Handler>> = {
  account: { HEAD: headAccount, GET: getAccount, POST: postAccount, PUT: accountNotAllowed, DELETE: accountNotAllowed },
  container: { HEAD: headContainer, GET: getContainer, PUT: putContainer, POST: postContainer, DELETE: deleteContainer },
  object: { HEAD: headObject, GET: getObject, PUT: putObject, POST: postObject, DELETE: deleteObject, COPY: copyObject },
};

function pick(level: Level, method: string, req: FastifyRequest): Handler | undefined {
  if (level === 'account' && (method === 'POST' || method === 'DELETE') && query(req, 'bulk-delete') !== undefined) return bulkDelete;
  if (method === 'PUT' && query(req, 'extract-archive') !== undefined) return extractArchive;
  return HANDLERS[level][method];
}

const allowed = (level: Level) => [...Object.keys(HANDLERS[level]), 'OPTIONS'].join(', ');

/**
 * The single entry for `/swift/v1/...`: the path is split by hand (never normalised), the
 * caller identified (token, TempURL, or anonymous), and the operation picked by level and
 * method; form uploads (formpost.ts) and static web sites (staticweb.ts) are answered first. Content types are read from `contentTypeOf`, stashed before Fastify saw them.
 */
export function dispatcher(deps: SwiftDeps, contentTypeOf: (req: FastifyRequest) => string | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const path = parsePath(req.url, deps.prefix);
    const level: Level = path.object ? 'object' : path.container ? 'container' : 'account';
    if (req.method === 'OPTIONS') return respond(reply, 200, { Allow: allowed(level) });
    const handler = pick(level, req.method, req);
    if (!handler) {
      reply.header('Allow', allowed(level));
      throw new StratusError('MethodNotAllowed', `${req.method} is not allowed here.`);
    }
    const caller = await identify(req, deps, path);
    const call: SwiftCall = { req, reply, deps, path, caller, contentType: contentTypeOf(req) };
    // The middlewares Swift runs before its proxy: FormPost, then StaticWeb.
    if (isFormPost(call)) return formPost(call);
    const web = await staticWeb(call);
    if (web !== undefined) return web;
    return handler(call);
  };
}
