import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden, notFound } from '../../../core/errors.js';
import { bool, isObject, q, str, wrapped } from '../../../core/validate.js';
import { requireAuth } from '../../../http/auth.js';
import type { IdentityRouteDeps } from '../index.js';
import { authorize, isAdmin } from '../policy.js';
import { parseEc2Blob } from '../logic/credentials.js';
import { appCredView, collection, credentialView, ec2View } from '../views/resources.js';

type P = { Params: { id: string } };
type PA = { Params: { id: string; access: string } };

/** `/v3/credentials`, EC2 credentials and application credentials. */
export function credentialRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const { credentials, appCreds } = identity;

  app.get('/credentials', async (req) => {
    const a = authorize(req.auth, 'identity:list_credentials');
    const type = q(req.query, 'type');
    const userFilter = q(req.query, 'user_id');
    // Non-admins only ever see their own.
    const userId = isAdmin(a) ? userFilter : a.userId;
    const list = await credentials.list({ ...(userId ? { userId } : {}), ...(type ? { type } : {}) });
    return collection('credentials', list.map((c) => credentialView(c, link)), `${v3()}/credentials`);
  });
  app.post('/credentials', async (req, reply) => {
    const b = wrapped(req.body, 'credential');
    const userId = str(b, 'user_id', { required: true });
    authorize(req.auth, 'identity:create_credential', { userId });
    await identity.users.get(userId);
    const projectId = str(b, 'project_id', { nullable: true }) ?? null;
    if (projectId) await identity.projects.get(projectId);
    const c = await credentials.create({ userId, projectId, type: str(b, 'type', { required: true, max: 255 }), blob: str(b, 'blob', { required: true }) });
    reply.code(201);
    return { credential: credentialView(c, link) };
  });
  const owned = async (req: { auth: Parameters<typeof authorize>[0]; params: { id: string } }, action: string) => {
    const a = authorize(req.auth, 'identity:list_credentials');
    const c = await credentials.repo.get(req.params.id);
    // Someone else's credential is "not found" to a non-admin, never "forbidden".
    if (!c || (!isAdmin(a) && c.userId !== a.userId)) throw notFound('credential', req.params.id);
    authorize(a, action, { userId: c.userId });
    return c;
  };
  app.get<P>('/credentials/:id', async (req) => ({ credential: credentialView(await owned(req, 'identity:get_credential'), link) }));
  app.patch<P>('/credentials/:id', async (req) => {
    const cur = await owned(req, 'identity:manage_credential');
    const b = wrapped(req.body, 'credential');
    const patch: Parameters<typeof credentials.update>[1] = {};
    const blob = str(b, 'blob', { min: 1 });
    const type = str(b, 'type', { min: 1, max: 255 });
    const projectId = str(b, 'project_id', { nullable: true });
    const userId = str(b, 'user_id', { min: 1 });
    if (blob) patch.blob = blob;
    if (type) patch.type = type;
    if (projectId !== undefined) patch.projectId = projectId;
    if (userId) {
      if (!isAdmin(requireAuth(req)) && userId !== cur.userId) throw forbidden();
      patch.userId = userId;
    }
    return { credential: credentialView(await credentials.update(cur.id, patch), link) };
  });
  app.delete<P>('/credentials/:id', async (req, reply) => {
    const c = await owned(req, 'identity:manage_credential');
    await credentials.repo.delete(c.id);
    reply.code(204).send();
  });

  // EC2 credentials (the S3 API signs with them)
  app.get<P>('/users/:id/credentials/OS-EC2', async (req) => {
    authorize(req.auth, 'identity:ec2_read', { userId: req.params.id });
    await identity.users.get(req.params.id);
    const list = await credentials.list({ userId: req.params.id, type: 'ec2' });
    return collection('credentials', list.map((c) => ec2View(c, parseEc2Blob(c.blob), link)), `${v3()}/users/${req.params.id}/credentials/OS-EC2`);
  });
  app.post<P>('/users/:id/credentials/OS-EC2', async (req, reply) => {
    authorize(req.auth, 'identity:ec2_write', { userId: req.params.id });
    if (!isObject(req.body)) throw badRequest('Expecting to find tenant_id in request body.');
    const projectId = str(req.body, 'tenant_id', { required: true });
    await identity.users.get(req.params.id);
    await identity.projects.get(projectId);
    const { cred, blob } = await credentials.createEc2(req.params.id, projectId);
    reply.code(201);
    return { credential: ec2View(cred, blob, link) };
  });
  app.get<PA>('/users/:id/credentials/OS-EC2/:access', async (req) => {
    authorize(req.auth, 'identity:ec2_read', { userId: req.params.id });
    const { cred, blob } = await credentials.ec2ByAccess(req.params.id, req.params.access);
    return { credential: ec2View(cred, blob, link) };
  });
  app.delete<PA>('/users/:id/credentials/OS-EC2/:access', async (req, reply) => {
    authorize(req.auth, 'identity:ec2_write', { userId: req.params.id });
    const { cred } = await credentials.ec2ByAccess(req.params.id, req.params.access);
    await credentials.repo.delete(cred.id);
    reply.code(204).send();
  });

  // Application credentials
  app.get<P>('/users/:id/application_credentials', async (req) => {
    authorize(req.auth, 'identity:appcred_read', { userId: req.params.id });
    await identity.users.get(req.params.id);
    const roles = await identity.roles.byIdMap();
    const list = await appCreds.list(req.params.id, q(req.query, 'name'));
    return collection('application_credentials', list.map((c) => appCredView(c, roles, link)), `${v3()}/users/${req.params.id}/application_credentials`);
  });
  app.post<P>('/users/:id/application_credentials', async (req, reply) => {
    const a = authorize(req.auth, 'identity:appcred_create', { userId: req.params.id });
    if (!a.projectId) throw forbidden('Application credentials are created with a project-scoped token.');
    if (a.appCredId) {
      const from = await appCreds.repo.get(a.appCredId);
      if (!from?.unrestricted) throw forbidden('A restricted application credential cannot create application credentials.');
    }
    const b = wrapped(req.body, 'application_credential');
    const expires = str(b, 'expires_at', { nullable: true });
    const expiresAt = expires ? Date.parse(expires.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(expires) ? expires : `${expires}Z`) : null;
    if (expiresAt !== null && Number.isNaN(expiresAt)) throw badRequest("Invalid input for field 'expires_at': not a date-time.");
    let roles: { id?: string; name?: string }[] | undefined;
    if (b.roles !== undefined) {
      if (!Array.isArray(b.roles) || b.roles.some((r) => !isObject(r))) throw badRequest("Invalid input for field 'roles': expected a list of objects.");
      roles = (b.roles as Record<string, unknown>[]).map((r) => ({
        ...(typeof r.id === 'string' ? { id: r.id } : {}),
        ...(typeof r.name === 'string' ? { name: r.name } : {}),
      }));
    }
    const tokenRoles = a.roleIds.map((id, i) => ({ id, name: a.roles[i]! }));
    const input: Parameters<typeof appCreds.create>[3] = {
      name: str(b, 'name', { required: true, max: 255 }),
      description: str(b, 'description', { nullable: true }) ?? null,
      expiresAt,
      unrestricted: bool(b, 'unrestricted') ?? false,
    };
    const secret = str(b, 'secret', { nullable: true });
    if (secret) input.secret = secret;
    if (roles) input.roles = roles;
    const { cred, secret: plain } = await appCreds.create(req.params.id, a.projectId, tokenRoles, input);
    reply.code(201);
    return { application_credential: appCredView(cred, await identity.roles.byIdMap(), link, plain) };
  });
  type PC = { Params: { id: string; cred: string } };
  app.get<PC>('/users/:id/application_credentials/:cred', async (req) => {
    authorize(req.auth, 'identity:appcred_read', { userId: req.params.id });
    const c = await appCreds.get(req.params.id, req.params.cred);
    return { application_credential: appCredView(c, await identity.roles.byIdMap(), link) };
  });
  app.delete<PC>('/users/:id/application_credentials/:cred', async (req, reply) => {
    authorize(req.auth, 'identity:appcred_delete', { userId: req.params.id });
    await appCreds.delete(req.params.id, req.params.cred);
    reply.code(204).send();
  });
}
