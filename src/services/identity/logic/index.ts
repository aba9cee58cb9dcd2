import type { Clock } from '../../../core/clock.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import { unauthorized } from '../../../core/errors.js';
import type { AuthContext, TokenVerifier } from '../../../http/auth.js';
import type { Store } from '../../../store/index.js';
import { Assignments } from './assignments.js';
import { Catalog } from './catalog.js';
import { IdentityContext, type IdentityConfig } from './context.js';
import { AppCredentials, Credentials } from './credentials.js';
import { DomainConfigs } from './domain-config.js';
import { EndpointFilter } from './endpoint-filter.js';
import { OAuth1 } from './oauth1.js';
import { OAuth1Flow } from './oauth1-flow.js';
import { Policies } from './policies.js';
import { Domains, Projects } from './projects.js';
import { Roles } from './roles.js';
import { Tokens, type ValidToken } from './tokens.js';
import { Groups, Users } from './users.js';

export type { IdentityConfig } from './context.js';
export type { ValidToken } from './tokens.js';

/**
 * The identity logic: every Keystone resource, the token engine, and the cascades that keep
 * references consistent when something is deleted. Routes call this; nothing else touches the
 * identity records.
 */
export class Identity implements TokenVerifier {
  readonly ctx: IdentityContext;
  readonly domains: Domains;
  readonly projects: Projects;
  readonly users: Users;
  readonly groups: Groups;
  readonly roles: Roles;
  readonly assignments: Assignments;
  readonly catalog: Catalog;
  readonly credentials: Credentials;
  readonly appCreds: AppCredentials;
  readonly tokens: Tokens;
  readonly domainConfigs: DomainConfigs;
  readonly endpointFilter: EndpointFilter;
  readonly policies: Policies;
  readonly oauth1: OAuth1;
  readonly oauth1Flow: OAuth1Flow;

  constructor(deps: { store: Store; events: EventBus; clock: Clock; config: IdentityConfig; log: Logger }) {
    this.ctx = new IdentityContext(deps.store, deps.events, deps.clock, deps.config, deps.log);
    this.domains = new Domains(this.ctx);
    this.projects = new Projects(this.ctx, this.domains);
    this.users = new Users(this.ctx, this.domains, (id) => this.tokens.revokeUser(id));
    this.groups = new Groups(this.ctx, this.domains, this.users);
    this.roles = new Roles(this.ctx);
    this.assignments = new Assignments(this.ctx, {
      users: this.users,
      groups: this.groups,
      projects: this.projects,
      domains: this.domains,
      roles: this.roles,
    });
    this.catalog = new Catalog(this.ctx);
    this.domainConfigs = new DomainConfigs(this.ctx, this.domains);
    this.endpointFilter = new EndpointFilter(this.ctx, this.catalog, this.projects);
    this.catalog.projectFilter = (projectId) => this.endpointFilter.endpointIdsFor(projectId);
    this.policies = new Policies(this.ctx, this.catalog);
    this.oauth1 = new OAuth1(this.ctx);
    this.credentials = new Credentials(this.ctx);
    this.appCreds = new AppCredentials(this.ctx);
    this.tokens = new Tokens(this.ctx, {
      domains: this.domains,
      projects: this.projects,
      users: this.users,
      groups: this.groups,
      roles: this.roles,
      assignments: this.assignments,
      appCreds: this.appCreds,
      oauth1: this.oauth1,
    });
    this.oauth1Flow = new OAuth1Flow(this.ctx, this.oauth1, this.projects, this.roles, this.assignments);
  }

  async init(): Promise<void> {
    await this.tokens.init();
  }

  // --- cascades: deleting a resource removes what refers to it -------------------------------

  deleteUser(id: string): Promise<void> {
    return this.users.delete(id, async (userId) => {
      await this.assignments.repo.deleteWhere({ actorType: 'user', actorId: userId });
      await this.groups.members.deleteWhere({ userId });
      await this.appCreds.repo.deleteWhere({ userId });
      await this.credentials.repo.deleteWhere({ userId });
      await this.oauth1.requestTokens.deleteWhere({ authorizingUserId: userId });
      await this.oauth1.accessTokens.deleteWhere({ userId });
    });
  }

  deleteGroup(id: string): Promise<void> {
    return this.groups.delete(id, async (groupId) => {
      await this.assignments.repo.deleteWhere({ actorType: 'group', actorId: groupId });
    });
  }

  deleteProject(id: string): Promise<void> {
    return this.projects.delete(id, async (projectId) => {
      await this.assignments.repo.deleteWhere({ targetType: 'project', targetId: projectId });
      await this.appCreds.repo.deleteWhere({ projectId });
      await this.credentials.repo.deleteWhere({ projectId });
      await this.endpointFilter.links.deleteWhere({ projectId });
      await this.oauth1.requestTokens.deleteWhere({ projectId });
      await this.oauth1.accessTokens.deleteWhere({ projectId });
      await this.tokens.revokeProject(projectId);
    });
  }

  async updateProject(id: string, patch: Parameters<Projects['update']>[1]): Promise<ReturnType<Projects['update']>> {
    const cur = await this.projects.get(id);
    const next = await this.projects.update(id, patch);
    if (cur.enabled && patch.enabled === false) await this.tokens.revokeProject(id);
    return next;
  }

  deleteRole(id: string): Promise<void> {
    return this.roles.delete(id, async (roleId) => {
      await this.assignments.repo.deleteWhere({ roleId });
    });
  }

  deleteDomain(id: string): Promise<void> {
    return this.domains.delete(id, async (domainId) => {
      for (const u of await this.users.list({ domainId })) await this.deleteUser(u.id);
      for (const g of await this.groups.list({ domainId })) await this.deleteGroup(g.id);
      const projects = await this.projects.list({ domainId });
      // Leaves first, so the hierarchy check never refuses.
      const depth = new Map(projects.map((p) => [p.id, 0]));
      for (const p of projects) depth.set(p.id, projectsDepth(p.id, projects));
      projects.sort((a, b) => depth.get(b.id)! - depth.get(a.id)!);
      for (const p of projects) await this.deleteProject(p.id);
      for (const r of await this.roles.repo.list({ domainId })) await this.deleteRole(r.id);
      await this.assignments.repo.deleteWhere({ targetType: 'domain', targetId: domainId });
      await this.domainConfigs.repo.delete(domainId);
    });
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.catalog.deleteEndpoint(id);
    await this.endpointFilter.links.deleteWhere({ endpointId: id });
    await this.policies.forget({ endpointId: id });
  }

  async deleteService(id: string): Promise<void> {
    const endpoints = await this.catalog.endpoints.list({ serviceId: id });
    await this.catalog.deleteService(id);
    for (const e of endpoints) {
      await this.endpointFilter.links.deleteWhere({ endpointId: e.id });
      await this.policies.forget({ endpointId: e.id });
    }
    await this.policies.forget({ serviceId: id });
  }

  async deleteRegion(id: string): Promise<void> {
    await this.catalog.deleteRegion(id);
    await this.policies.forget({ regionId: id });
  }

  // --- the gateway's verifier ----------------------------------------------------------------

  /** TokenVerifier: any invalid token is a 401 for the caller. */
  async verify(token: string): Promise<AuthContext> {
    const v = await this.tokens.validate(token).catch(() => {
      throw unauthorized();
    });
    return toAuthContext(v);
  }
}

export function toAuthContext(v: ValidToken): AuthContext {
  const a: AuthContext = {
    token: v.token,
    userId: v.user.id,
    userName: v.user.name,
    userDomainId: v.user.domainId,
    methods: v.payload.methods,
    auditId: v.payload.auditIds[0]!,
    expiresAt: v.payload.expiresAt,
    roles: v.roles.map((r) => r.name),
    roleIds: v.roles.map((r) => r.id),
  };
  if (v.project) {
    a.projectId = v.project.id;
    a.projectName = v.project.name;
    a.projectDomainId = v.project.domainId;
  }
  if (v.domain) a.domainId = v.domain.id;
  if (v.system) a.system = true;
  if (v.appCred) a.appCredId = v.appCred.id;
  return a;
}

function projectsDepth(id: string, all: { id: string; parentId: string | null }[]): number {
  let d = 0;
  let cur = all.find((p) => p.id === id);
  while (cur?.parentId && d < 100) {
    d++;
    const parentId: string = cur.parentId;
    cur = all.find((p) => p.id === parentId);
  }
  return d;
}
