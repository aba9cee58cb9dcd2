import { notFound } from '../../../core/errors.js';
import { KIND, type ActorType, type Assignment, type Project, type TargetType } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import type { Domains, Projects } from './projects.js';
import type { Roles } from './roles.js';
import type { Groups, Users } from './users.js';

export type AssignmentRec = Assignment & { id: string };

export interface AssignmentQuery {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  domainId?: string;
  system?: boolean;
  inherited?: boolean;
  /** Expand groups into their users, inherited grants into projects, and implied roles. */
  effective?: boolean;
  /** With projectId: include the projects below it. */
  includeSubtree?: boolean;
}

/** One row of `GET /v3/role_assignments`, before rendering. */
export interface AssignmentRow extends Assignment {
  /** Set on rows produced by expanding a group grant (effective mode). */
  viaGroupId?: string;
  /** Set on rows produced by expanding an implied role (effective mode). */
  priorRoleId?: string;
  /** Set on rows produced by expanding an inherited grant onto a project. */
  inheritedFrom?: { targetType: TargetType; targetId: string };
}

export const SYSTEM_ALL = 'all';

export function assignmentId(a: Assignment): string {
  return `${a.actorType}:${a.actorId}:${a.targetType}:${a.targetId}:${a.roleId}:${a.inherited ? 'i' : 'd'}`;
}

export class Assignments {
  readonly repo: Repo<AssignmentRec>;
  constructor(
    private readonly ctx: IdentityContext,
    private readonly deps: { users: Users; groups: Groups; projects: Projects; domains: Domains; roles: Roles },
  ) {
    this.repo = new Repo(ctx, KIND.assignment, 'role assignment');
  }

  private async checkParts(a: Assignment): Promise<void> {
    const { users, groups, projects, domains, roles } = this.deps;
    if (a.actorType === 'user') await users.get(a.actorId);
    else await groups.get(a.actorId);
    if (a.targetType === 'project') await projects.get(a.targetId);
    else if (a.targetType === 'domain') await domains.get(a.targetId);
    await roles.get(a.roleId);
  }

  async grant(a: Assignment): Promise<void> {
    await this.checkParts(a);
    const id = assignmentId(a);
    if (!(await this.repo.get(id))) await this.repo.create({ ...a, id });
  }

  async check(a: Assignment): Promise<void> {
    await this.checkParts(a);
    if (!(await this.repo.get(assignmentId(a))))
      throw notFound('role assignment', `${a.roleId} for ${a.actorType} ${a.actorId} on ${a.targetType} ${a.targetId}`, 'RoleAssignmentNotFound');
  }

  async revoke(a: Assignment): Promise<void> {
    await this.checkParts(a);
    if (!(await this.repo.delete(assignmentId(a))))
      throw notFound('role assignment', `${a.roleId} for ${a.actorType} ${a.actorId} on ${a.targetType} ${a.targetId}`, 'RoleAssignmentNotFound');
  }

  /** Roles granted directly to one actor on one target (`GET /projects/{p}/users/{u}/roles`). */
  async rolesOn(actorType: ActorType, actorId: string, targetType: TargetType, targetId: string, inherited = false) {
    await this.checkParts({ actorType, actorId, targetType, targetId, roleId: '', inherited }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'RoleNotFound') throw e;
    });
    const rows = await this.repo.list({ actorType, actorId, targetType, targetId, inherited });
    const roles = await this.deps.roles.byIdMap();
    return rows.map((r) => roles.get(r.roleId)).filter((r) => r !== undefined);
  }

  async removeFor(field: 'actorId' | 'targetId' | 'roleId', id: string): Promise<void> {
    await this.repo.deleteWhere({ [field]: id });
  }

  /**
   * Effective role ids of a user on a scope, implied roles included. Cached: token validation
   * calls this on every request.
   */
  effectiveRoleIds(userId: string, scope: { projectId?: string; domainId?: string; system?: boolean }): Promise<string[]> {
    const key = `eff:${userId}:${scope.projectId ?? ''}:${scope.domainId ?? ''}:${scope.system ? 1 : 0}`;
    return this.ctx.cached(key, async () => {
      const actors = [userId, ...(await this.deps.groups.groupIdsOf(userId))];
      const direct: string[] = [];
      const collect = async (targetType: TargetType, targetId: string, inherited: boolean) => {
        for (const actorId of actors) {
          for (const r of await this.repo.list({ actorId, targetType, targetId, inherited })) direct.push(r.roleId);
        }
      };
      if (scope.projectId) {
        const p = await this.deps.projects.find(scope.projectId);
        if (!p) return [];
        await collect('project', p.id, false);
        await collect('domain', p.domainId, true);
        for (const anc of await this.deps.projects.ancestors(p)) await collect('project', anc.id, true);
      } else if (scope.domainId) {
        await collect('domain', scope.domainId, false);
      } else if (scope.system) {
        await collect('system', SYSTEM_ALL, false);
      }
      // Domain-specific roles never reach a token themselves; the global roles they imply do.
      const roles = await this.deps.roles.byIdMap();
      return (await this.deps.roles.closure([...new Set(direct)])).filter((id) => roles.get(id)?.domainId == null);
    });
  }

  /** Projects on which the user has any effective role (`/v3/users/{id}/projects`, `/auth/projects`). */
  async projectsOf(userId: string): Promise<Project[]> {
    const out: Project[] = [];
    for (const p of await this.deps.projects.list()) {
      if ((await this.effectiveRoleIds(userId, { projectId: p.id })).length) out.push(p);
    }
    return out;
  }

  async domainsOf(userId: string): Promise<string[]> {
    const out: string[] = [];
    for (const d of await this.deps.domains.list()) {
      if ((await this.effectiveRoleIds(userId, { domainId: d.id })).length) out.push(d.id);
    }
    return out;
  }

  /** `GET /v3/role_assignments`. */
  async query(q: AssignmentQuery): Promise<AssignmentRow[]> {
    let rows: AssignmentRow[] = await this.repo.list();
    if (q.effective) {
      const roles = await this.deps.roles.byIdMap();
      rows = (await this.expand(rows)).filter((r) => roles.get(r.roleId)?.domainId == null);
    }
    const subtree = q.projectId && q.includeSubtree ? await this.subtreeOf(q.projectId) : new Set([q.projectId]);
    return rows.filter((r) => {
      if (q.userId && !(r.actorType === 'user' && r.actorId === q.userId)) return false;
      if (q.groupId && !(r.actorType === 'group' && r.actorId === q.groupId)) return false;
      if (q.roleId && r.roleId !== q.roleId) return false;
      if (q.projectId && !(r.targetType === 'project' && subtree.has(r.targetId)))
        return false;
      if (q.domainId && !(r.targetType === 'domain' && r.targetId === q.domainId)) return false;
      if (q.system && r.targetType !== 'system') return false;
      if (q.inherited !== undefined && r.inherited !== q.inherited) return false;
      return true;
    });
  }

  private async subtreeOf(projectId: string): Promise<Set<string | undefined>> {
    const all = await this.deps.projects.list();
    const set = new Set<string | undefined>([projectId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of all) {
        if (p.parentId && set.has(p.parentId) && !set.has(p.id)) {
          set.add(p.id);
          grew = true;
        }
      }
    }
    return set;
  }

  private async expand(rows: AssignmentRow[]): Promise<AssignmentRow[]> {
    const { groups, projects, roles } = this.deps;
    const out: AssignmentRow[] = [];
    const allProjects = await projects.list();
    const implications = await roles.allImplications();
    for (const r of rows) {
      const actors: { actorId: string; viaGroupId?: string }[] =
        r.actorType === 'group'
          ? (await groups.members.list({ groupId: r.actorId })).map((m) => ({ actorId: m.userId, viaGroupId: r.actorId }))
          : [{ actorId: r.actorId }];
      const targets: { targetType: TargetType; targetId: string; from?: AssignmentRow['inheritedFrom'] }[] = [];
      if (r.inherited) {
        const below = (pid: string | null, domainId: string) =>
          allProjects.filter((p) => (pid ? p.parentId === pid : p.domainId === domainId));
        const seed = r.targetType === 'domain' ? below(null, r.targetId) : below(r.targetId, '');
        const queue = [...seed];
        while (queue.length) {
          const p = queue.shift()!;
          targets.push({ targetType: 'project', targetId: p.id, from: { targetType: r.targetType, targetId: r.targetId } });
          queue.push(...allProjects.filter((c) => c.parentId === p.id));
        }
      } else targets.push({ targetType: r.targetType, targetId: r.targetId });
      for (const a of actors) {
        for (const t of targets) {
          const base: AssignmentRow = { ...r, actorType: 'user', actorId: a.actorId, targetType: t.targetType, targetId: t.targetId, inherited: false };
          if (a.viaGroupId) base.viaGroupId = a.viaGroupId;
          if (t.from) base.inheritedFrom = t.from;
          out.push(base);
          const seen = new Set([r.roleId]);
          const queue = [r.roleId];
          while (queue.length) {
            const prior = queue.shift()!;
            for (const i of implications) {
              if (i.priorId !== prior || seen.has(i.impliedId)) continue;
              seen.add(i.impliedId);
              queue.push(i.impliedId);
              out.push({ ...base, roleId: i.impliedId, priorRoleId: prior });
            }
          }
        }
      }
    }
    return out;
  }
}
