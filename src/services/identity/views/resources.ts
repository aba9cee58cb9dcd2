import type {
  AppCredential,
  Credential,
  Domain,
  Endpoint,
  Group,
  Project,
  Region,
  Role,
  Service,
  User,
} from '../logic/models.js';
import { isoMicro } from '../../../core/clock.js';

/** Absolute URL builder for `links.self`, rooted at `<base>/identity/v3`. */
export type Link = (path: string) => string;

export function domainView(d: Domain, link: Link) {
  return { id: d.id, name: d.name, description: d.description, enabled: d.enabled, tags: d.tags, options: {}, links: { self: link(`/domains/${d.id}`) } };
}

export function projectView(p: Project, link: Link) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    // Keystone reports the domain as the parent of a top-level project.
    parent_id: p.parentId ?? p.domainId,
    is_domain: false,
    tags: p.tags,
    options: {},
    links: { self: link(`/projects/${p.id}`) },
  };
}

/** A domain seen through `/v3/projects`: Keystone keeps domains as projects acting as domains. */
export function domainProjectView(d: Domain, link: Link) {
  return {
    id: d.id,
    name: d.name,
    domain_id: null,
    description: d.description,
    enabled: d.enabled,
    parent_id: null,
    is_domain: true,
    tags: d.tags,
    options: {},
    links: { self: link(`/projects/${d.id}`) },
  };
}

export function userView(u: User, link: Link) {
  const out: Record<string, unknown> = {
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: u.passwordExpiresAt,
    options: {},
    links: { self: link(`/users/${u.id}`) },
  };
  if (u.email !== null) out.email = u.email;
  if (u.description !== null) out.description = u.description;
  if (u.defaultProjectId !== null) out.default_project_id = u.defaultProjectId;
  return out;
}

export function groupView(g: Group, link: Link) {
  return { id: g.id, name: g.name, domain_id: g.domainId, description: g.description, links: { self: link(`/groups/${g.id}`) } };
}

export function roleView(r: Role, link: Link) {
  return { id: r.id, name: r.name, domain_id: r.domainId, description: r.description, options: {}, links: { self: link(`/roles/${r.id}`) } };
}

export function roleRefView(r: Role, link: Link) {
  return { id: r.id, name: r.name, links: { self: link(`/roles/${r.id}`) } };
}

export function regionView(r: Region, link: Link) {
  return { id: r.id, description: r.description, parent_region_id: r.parentRegionId, links: { self: link(`/regions/${r.id}`) } };
}

export function serviceView(s: Service, link: Link) {
  return { id: s.id, type: s.type, name: s.name, description: s.description, enabled: s.enabled, links: { self: link(`/services/${s.id}`) } };
}

export function endpointView(e: Endpoint, link: Link) {
  return {
    id: e.id,
    interface: e.interface,
    region_id: e.regionId,
    region: e.regionId,
    url: e.url,
    service_id: e.serviceId,
    enabled: e.enabled,
    links: { self: link(`/endpoints/${e.id}`) },
  };
}

export function appCredView(a: AppCredential, roles: Map<string, Role>, link: Link, secret?: string) {
  const out: Record<string, unknown> = {
    id: a.id,
    name: a.name,
    description: a.description,
    user_id: a.userId,
    project_id: a.projectId,
    roles: a.roleIds.map((id) => roles.get(id)).filter((r) => r).map((r) => ({ id: r!.id, name: r!.name, domain_id: r!.domainId })),
    expires_at: a.expiresAt === null ? null : isoMicro(a.expiresAt),
    unrestricted: a.unrestricted,
    access_rules: [],
    links: { self: link(`/users/${a.userId}/application_credentials/${a.id}`) },
  };
  if (secret !== undefined) out.secret = secret;
  return out;
}

export function credentialView(c: Credential, link: Link) {
  return { id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type, blob: c.blob, links: { self: link(`/credentials/${c.id}`) } };
}

export function ec2View(c: Credential, blob: { access: string; secret: string; trust_id: string | null }, link: Link) {
  return {
    user_id: c.userId,
    tenant_id: c.projectId,
    access: blob.access,
    secret: blob.secret,
    trust_id: blob.trust_id,
    links: { self: link(`/users/${c.userId}/credentials/OS-EC2/${blob.access}`) },
  };
}

/** Collection wrapper: `{"<key>": [...], "links": {"self", "previous", "next"}}`. */
export function collection(key: string, items: unknown[], self: string) {
  return { [key]: items, links: { self, previous: null, next: null } };
}
