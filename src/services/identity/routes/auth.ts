import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { qBool } from '../../../core/validate.js';
import { requireAuth } from '../../../http/auth.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize } from '../policy.js';
import { parseAuth } from '../schemas/auth.js';
import { catalogView, tokenView } from '../views/token.js';
import { signedRequest } from './oauth1-flow.js';
import { collection, domainView, projectView } from '../views/resources.js';

function subjectToken(req: FastifyRequest): string {
  const h = req.headers['x-subject-token'];
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) throw badRequest('The X-Subject-Token header is required.');
  return v;
}

/** Tokens, plus the token-scoped listings under /v3/auth. */
export function authRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  app.post('/auth/tokens', { config: { public: true } }, async (req, reply) => {
    const parsed = parseAuth(req.body);
    if (parsed.methods.includes('oauth1')) parsed.oauth1 = await identity.oauth1Flow.authenticate(signedRequest(req, v3()));
    const v = await identity.tokens.issue(parsed);
    const catalog = qBool(req.query, 'nocatalog') ? null : await identity.catalog.forScope(v.project?.id, v.user.id);
    reply.code(201).header('x-subject-token', v.token);
    return tokenView(v, catalog);
  });

  const validate = async (req: FastifyRequest) => {
    const caller = requireAuth(req);
    const subject = subjectToken(req);
    // A caller may always look at its own token; anyone else needs admin.
    if (subject !== caller.token) {
      // An invalid subject is a 404 for everyone, as in Keystone.
      const v = await identity.tokens.validate(subject);
      authorize(caller, 'identity:validate_token', { userId: v.user.id });
      return v;
    }
    return identity.tokens.validate(subject);
  };

  app.get('/auth/tokens', async (req, reply) => {
    const v = await validate(req);
    const catalog = qBool(req.query, 'nocatalog') ? null : await identity.catalog.forScope(v.project?.id, v.user.id);
    reply.header('x-subject-token', v.token);
    return tokenView(v, catalog);
  });

  app.delete('/auth/tokens', async (req, reply) => {
    const v = await validate(req);
    authorize(requireAuth(req), 'identity:revoke_token', { userId: v.user.id });
    await identity.tokens.revoke(v);
    reply.code(204).send();
  });

  app.get('/auth/catalog', async (req) => {
    const a = requireAuth(req);
    if (!a.projectId && !a.domainId && !a.system) throw badRequest('An unscoped token has no catalog; scope it to a project first.');
    return { catalog: catalogView(await identity.catalog.forScope(a.projectId, a.userId)), links: { self: `${v3()}/auth/catalog`, previous: null, next: null } };
  });

  app.get('/auth/projects', async (req) => {
    const a = requireAuth(req);
    const projects = (await identity.assignments.projectsOf(a.userId)).filter((p) => p.enabled);
    return collection('projects', projects.map((p) => projectView(p, link)), `${v3()}/auth/projects`);
  });

  app.get('/auth/domains', async (req) => {
    const a = requireAuth(req);
    const ids = await identity.assignments.domainsOf(a.userId);
    const domains = (await Promise.all(ids.map((id) => identity.domains.find(id)))).filter((d) => d?.enabled);
    return collection('domains', domains.map((d) => domainView(d!, link)), `${v3()}/auth/domains`);
  });

  app.get('/auth/system', async (req) => {
    const a = requireAuth(req);
    const roles = await identity.assignments.effectiveRoleIds(a.userId, { system: true });
    return { system: roles.length ? [{ all: true }] : [], links: { self: `${v3()}/auth/system`, previous: null, next: null } };
  });
}
