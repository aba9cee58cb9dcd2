import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoMicro } from '../../../core/clock.js';
import { badRequest, notFound } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { requireAuth } from '../../../http/auth.js';
import type { IdentityRouteDeps } from '../index.js';
import { OAuth1Flow, type SignedRequest } from '../logic/oauth1-flow.js';
import type { OAuthAccessToken } from '../logic/models.js';
import { authorize } from '../policy.js';
import { collection, roleView, type Link } from '../views/resources.js';

/** The URLs a client may have signed: as it addressed us (Host header), and as we advertise ourselves. */
export function signedRequest(req: FastifyRequest, v3: string): SignedRequest {
  const base = v3.replace(/\/identity\/v3$/, '');
  const urls = [`${base}${req.url}`];
  const host = req.headers.host;
  if (host) urls.unshift(`${req.protocol}://${host}${req.url}`);
  const h = req.headers.authorization;
  // Form-encoded body parameters are signed too (RFC 5849 §3.4.1.3.1).
  const form = /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '') && typeof req.body === 'string' ? [...new URLSearchParams(req.body)] : [];
  return { method: req.method, urls, authorization: Array.isArray(h) ? h[0] : h, formParams: form };
}

function form(reply: FastifyReply, fields: Record<string, string>) {
  reply.code(201).header('content-type', 'application/x-www-form-urlencoded');
  return new URLSearchParams(fields).toString();
}

export function accessTokenView(t: OAuthAccessToken, link: Link) {
  return {
    id: t.id,
    consumer_id: t.consumerId,
    project_id: t.projectId,
    authorizing_user_id: t.userId,
    expires_at: t.expiresAt === null ? null : isoMicro(t.expiresAt),
    links: { self: link(`/users/${t.userId}/OS-OAUTH1/access_tokens/${t.id}`) },
  };
}

type PU = { Params: { uid: string } };
type PT = { Params: { uid: string; tid: string } };
type PR = { Params: { uid: string; tid: string; rid: string } };

/** OS-OAUTH1 delegation: request tokens, authorization, access tokens and their management. */
export function oauthFlowRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const flow = identity.oauth1Flow;

  // Consumers sign these; they carry no Keystone token. Only here may a body be form-encoded
  // (kept as text: its fields are signed); everywhere else such a body stays a 415.
  app.register(async (signed) => {
    signed.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    signed.post('/OS-OAUTH1/request_token', { config: { public: true } }, async (req, reply) => {
      const pid = req.headers['requested-project-id'];
      const t = await flow.createRequestToken(signedRequest(req, v3()), Array.isArray(pid) ? pid[0] : pid);
      return form(reply, { oauth_token: t.id, oauth_token_secret: t.secret, oauth_expires_at: isoMicro(t.expiresAt) });
    });
    signed.post('/OS-OAUTH1/access_token', { config: { public: true } }, async (req, reply) => {
      const t = await flow.createAccessToken(signedRequest(req, v3()));
      return form(reply, { oauth_token: t.id, oauth_token_secret: t.secret, oauth_expires_at: t.expiresAt === null ? '' : isoMicro(t.expiresAt) });
    });
  });

  app.put<{ Params: { id: string } }>('/OS-OAUTH1/authorize/:id', async (req) => {
    const a = requireAuth(req);
    OAuth1Flow.refuseDelegated(a.methods);
    if (!isObject(req.body) || !Array.isArray(req.body.roles))
      throw badRequest('Expecting to find roles in request body: {"roles": [{"id": "…"} or {"name": "…"}]}.');
    const refs = req.body.roles.map((r: unknown) => {
      if (!isObject(r) || (typeof r.id !== 'string' && typeof r.name !== 'string'))
        throw badRequest("Invalid input for field 'roles': each role needs an id or a name.");
      return typeof r.id === 'string' ? { id: r.id } : { name: r.name as string };
    });
    const verifier = await flow.authorize(req.params.id, a.userId, refs);
    return { token: { oauth_verifier: verifier } };
  });

  // A user's access tokens
  app.get<PU>('/users/:uid/OS-OAUTH1/access_tokens', async (req) => {
    authorize(req.auth, 'identity:oauth_access_token', { userId: req.params.uid });
    OAuth1Flow.refuseDelegated(requireAuth(req).methods);
    const ts = await identity.oauth1.accessTokens.list({ userId: req.params.uid });
    return collection('access_tokens', ts.map((t) => accessTokenView(t, link)), `${v3()}/users/${req.params.uid}/OS-OAUTH1/access_tokens`);
  });
  app.get<PT>('/users/:uid/OS-OAUTH1/access_tokens/:tid', async (req) => {
    authorize(req.auth, 'identity:oauth_access_token', { userId: req.params.uid });
    return { access_token: accessTokenView(await flow.accessTokenOf(req.params.uid, req.params.tid), link) };
  });
  app.delete<PT>('/users/:uid/OS-OAUTH1/access_tokens/:tid', async (req, reply) => {
    authorize(req.auth, 'identity:oauth_access_token', { userId: req.params.uid });
    await flow.revoke(req.params.uid, req.params.tid);
    reply.code(204).send();
  });
  app.get<PT>('/users/:uid/OS-OAUTH1/access_tokens/:tid/roles', async (req) => {
    authorize(req.auth, 'identity:oauth_access_token', { userId: req.params.uid });
    const t = await flow.accessTokenOf(req.params.uid, req.params.tid);
    const roles = await identity.roles.byIdMap();
    const rs = t.roleIds.map((id) => roles.get(id)).filter((r) => r !== undefined);
    return collection('roles', rs.map((r) => roleView(r, link)), `${v3()}/users/${req.params.uid}/OS-OAUTH1/access_tokens/${t.id}/roles`);
  });
  app.get<PR>('/users/:uid/OS-OAUTH1/access_tokens/:tid/roles/:rid', async (req) => {
    authorize(req.auth, 'identity:oauth_access_token', { userId: req.params.uid });
    const t = await flow.accessTokenOf(req.params.uid, req.params.tid);
    const r = t.roleIds.includes(req.params.rid) ? await identity.roles.find(req.params.rid) : undefined;
    if (!r) throw notFound('role', req.params.rid);
    return { role: roleView(r, link) };
  });
}
