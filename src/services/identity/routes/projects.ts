import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../../core/errors.js';
import { bool, forbidFields, isObject, q, qBool, str, strList, wrapped } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import type { ProjectFilter } from '../logic/projects.js';
import { authorize } from '../policy.js';
import { collection, domainProjectView, projectView } from '../views/resources.js';
import { namedPatch } from './fields.js';

type P = { Params: { id: string } };
type PT = { Params: { id: string; tag: string } };

const csv = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter((s) => s.length));

export function projectRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const canSee = async (auth: Parameters<typeof authorize>[0], id: string) => {
    const p = await identity.projects.get(id).catch((e: unknown) => {
      authorize(auth, 'identity:get_project', { projectId: id });
      throw e;
    });
    authorize(auth, 'identity:get_project', { projectId: p.id });
    return p;
  };

  /** The domain with this id, when the id names a domain rather than a project. */
  const asDomain = async (id: string) => ((await identity.projects.find(id)) ? undefined : identity.domains.find(id));

  const updateDomainProject = async (id: string, b: Record<string, unknown>) => {
    if ('domain_id' in b && b.domain_id !== null) throw badRequest('Update of `domain_id` is not allowed.');
    if ('parent_id' in b && b.parent_id !== null) throw badRequest('Update of `parent_id` is not allowed.');
    if ('is_domain' in b && b.is_domain !== true) throw badRequest('Update of `is_domain` is not allowed.');
    forbidFields(b, ['id']);
    return identity.domains.update(id, namedPatch(b, 255));
  };

  app.get('/projects', async (req) => {
    authorize(req.auth, 'identity:list_projects');
    const f: ProjectFilter = {};
    const set = <K extends keyof ProjectFilter>(k: K, v: ProjectFilter[K] | undefined) => {
      if (v !== undefined) f[k] = v;
    };
    set('name', q(req.query, 'name'));
    set('domainId', q(req.query, 'domain_id'));
    set('enabled', qBool(req.query, 'enabled'));
    set('parentId', q(req.query, 'parent_id'));
    set('tags', csv(q(req.query, 'tags')));
    set('tagsAny', csv(q(req.query, 'tags-any')));
    set('notTags', csv(q(req.query, 'not-tags')));
    set('notTagsAny', csv(q(req.query, 'not-tags-any')));
    if (qBool(req.query, 'is_domain') === true) {
      // Domains are projects acting as domains; only name and enabled filter them.
      const df: { name?: string; enabled?: boolean } = {};
      if (f.name !== undefined) df.name = f.name;
      if (f.enabled !== undefined) df.enabled = f.enabled;
      const ds = f.domainId !== undefined || f.parentId !== undefined ? [] : await identity.domains.list(df);
      return collection('projects', ds.map((d) => domainProjectView(d, link)), `${v3()}/projects`);
    }
    return collection('projects', (await identity.projects.list(f)).map((p) => projectView(p, link)), `${v3()}/projects`);
  });

  app.post('/projects', async (req, reply) => {
    const a = authorize(req.auth, 'identity:manage_project');
    const b = wrapped(req.body, 'project');
    if (bool(b, 'is_domain')) {
      // A project acting as a domain is a domain: it has no parent and no domain of its own.
      if (b.parent_id !== undefined && b.parent_id !== null) throw badRequest('A project acting as a domain cannot have a parent; leave parent_id out.');
      if (b.domain_id !== undefined && b.domain_id !== null) throw badRequest('A project acting as a domain cannot be in a domain; leave domain_id out or null.');
      const d = await identity.domains.create({
        name: str(b, 'name', { required: true, max: 64 }),
        description: str(b, 'description', { nullable: true, max: 255 }) ?? '',
        enabled: bool(b, 'enabled') ?? true,
        tags: strList(b, 'tags') ?? [],
      });
      reply.code(201);
      return { project: domainProjectView(d, link) };
    }
    const domainId = str(b, 'domain_id', { nullable: true }) ?? undefined;
    const parentId = str(b, 'parent_id', { nullable: true }) ?? undefined;
    const input: Parameters<typeof identity.projects.create>[0] = {
      name: str(b, 'name', { required: true, max: 64 }),
      description: str(b, 'description', { nullable: true }) ?? '',
      enabled: bool(b, 'enabled') ?? true,
      tags: strList(b, 'tags') ?? [],
      domainId: domainId ?? (parentId ? undefined : a.projectDomainId ?? a.domainId ?? 'default'),
    };
    if (parentId) input.parentId = parentId;
    const p = await identity.projects.create(input);
    reply.code(201);
    return { project: projectView(p, link) };
  });

  app.get<P>('/projects/:id', async (req) => {
    const d = await asDomain(req.params.id);
    if (d) {
      authorize(req.auth, 'identity:get_project', { projectId: d.id });
      return { project: domainProjectView(d, link) };
    }
    return { project: projectView(await canSee(req.auth, req.params.id), link) };
  });

  app.patch<P>('/projects/:id', async (req) => {
    authorize(req.auth, 'identity:manage_project');
    const b = wrapped(req.body, 'project');
    const d = await asDomain(req.params.id);
    if (d) return { project: domainProjectView(await updateDomainProject(d.id, b), link) };
    const cur = await identity.projects.get(req.params.id);
    if ('domain_id' in b && b.domain_id !== cur.domainId) throw badRequest('Update of `domain_id` is not allowed.');
    if ('parent_id' in b && b.parent_id !== (cur.parentId ?? cur.domainId)) throw badRequest('Update of `parent_id` is not allowed.');
    forbidFields(b, ['id']);
    if ('is_domain' in b && b.is_domain !== false) throw badRequest('Update of `is_domain` is not allowed.');
    return { project: projectView(await identity.updateProject(req.params.id, namedPatch(b)), link) };
  });

  app.delete<P>('/projects/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_project');
    if (await asDomain(req.params.id)) await identity.deleteDomain(req.params.id);
    else await identity.deleteProject(req.params.id);
    reply.code(204).send();
  });

  // Project tags
  app.get<P>('/projects/:id/tags', async (req) => ({ tags: (await canSee(req.auth, req.params.id)).tags }));
  app.put<P>('/projects/:id/tags', async (req) => {
    authorize(req.auth, 'identity:manage_project');
    if (!isObject(req.body)) throw badRequest("Expecting to find tags in request body.");
    const tags = strList(req.body, 'tags');
    if (!tags) throw badRequest("Invalid input for field 'tags': required.");
    const p = await identity.projects.setTags(req.params.id, tags);
    return { tags: p.tags };
  });
  app.delete<P>('/projects/:id/tags', async (req, reply) => {
    authorize(req.auth, 'identity:manage_project');
    await identity.projects.setTags(req.params.id, []);
    reply.code(204).send();
  });
  const checkTag = async (req: { auth: Parameters<typeof authorize>[0]; params: { id: string; tag: string } }) => {
    const p = await canSee(req.auth, req.params.id);
    if (!p.tags.includes(req.params.tag)) throw notFound('project tag', req.params.tag);
  };
  app.get<PT>('/projects/:id/tags/:tag', async (req, reply) => {
    await checkTag(req);
    reply.code(204).send();
  });
  app.put<PT>('/projects/:id/tags/:tag', async (req, reply) => {
    authorize(req.auth, 'identity:manage_project');
    const p = await identity.projects.get(req.params.id);
    if (!p.tags.includes(req.params.tag)) await identity.projects.setTags(p.id, [...p.tags, req.params.tag]);
    reply.code(201).header('location', link(`/projects/${p.id}/tags/${encodeURIComponent(req.params.tag)}`)).send();
  });
  app.delete<PT>('/projects/:id/tags/:tag', async (req, reply) => {
    authorize(req.auth, 'identity:manage_project');
    const p = await identity.projects.get(req.params.id);
    if (!p.tags.includes(req.params.tag)) throw notFound('project tag', req.params.tag);
    await identity.projects.setTags(p.id, p.tags.filter((t) => t !== req.params.tag));
    reply.code(204).send();
  });
}
