import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { authorize } from '../policy.js';
import { body, invalid, onlyKeys } from '../schemas/common.js';
import { qp } from '../schemas/queries.js';
import { keypairCreated, keypairListItem, keypairShow } from '../views/resources.js';
import type { ComputeRouteDeps } from './deps.js';

type NameParams = { Params: { name: string } };

/** Nova 2.1's keypair names: 1–255 of letters, digits, spaces, '_' and '-'. */
function keypairName(v: unknown): string {
  if (typeof v !== 'string') throw invalid('name', `${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'string'`);
  if (v.length === 0 || v.length > 255) throw invalid('name', `${v.slice(0, 40)}. Length must be 1 to 255`);
  if (!/^[a-zA-Z0-9 _-]+$/.test(v) || v.trim() !== v) throw badRequest(`Keypair data is invalid: Keypair name contains unsafe characters`);
  return v;
}

/**
 * os-keypairs at 2.1: create answers 200 (a generated key includes `private_key`, once),
 * delete 202. An admin may act on another user's keys with `user_id`.
 */
export function keypairRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const { logic } = d;
  const owner = (callerId: string, admin: boolean, query: unknown) => {
    const u = qp(query, 'user_id');
    if (u !== undefined && u !== callerId && !admin) throw badRequest('Only administrators may act on keypairs of other users.');
    return u ?? callerId;
  };

  app.get('/os-keypairs', async (req) => {
    const caller = authorize(req, 'read');
    const keys = await logic.keypairs.list(owner(caller.userId, caller.admin, req.query));
    return { keypairs: keys.sort((a, b) => a.name.localeCompare(b.name)).map(keypairListItem) };
  });

  app.post('/os-keypairs', async (req) => {
    const caller = authorize(req, 'write');
    const k = body(req.body, 'keypair');
    onlyKeys(k, ['name', 'public_key'], 'keypair');
    const name = keypairName(k.name);
    let publicKey: string | undefined;
    if (k.public_key !== undefined) {
      if (typeof k.public_key !== 'string') throw invalid('public_key', `${JSON.stringify(k.public_key)} is not of type 'string'`);
      publicKey = k.public_key;
    }
    const r = await logic.keypairs.create(caller.userId, caller.projectId, publicKey === undefined ? { name } : { name, publicKey });
    return { keypair: keypairCreated(r.keypair, r.privateKey) };
  });

  app.get<NameParams>('/os-keypairs/:name', async (req) => {
    const caller = authorize(req, 'read');
    return { keypair: keypairShow(await logic.keypairs.get(owner(caller.userId, caller.admin, req.query), req.params.name)) };
  });

  app.delete<NameParams>('/os-keypairs/:name', async (req, reply) => {
    const caller = authorize(req, 'write');
    await logic.keypairs.delete(owner(caller.userId, caller.admin, req.query), req.params.name);
    reply.code(202).send();
  });
}
