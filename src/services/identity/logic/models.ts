/** Identity domain models (camelCase; wire names live in views/). */
export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  tags: string[];
}

export interface Project {
  id: string;
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
  parentId: string | null;
  tags: string[];
}

export interface User {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  passwordHash: string | null;
  passwordExpiresAt: string | null;
  defaultProjectId: string | null;
  description: string | null;
  email: string | null;
  /** Extra attributes Keystone keeps verbatim. */
  extra: Record<string, unknown>;
}

export interface Group {
  id: string;
  name: string;
  domainId: string;
  description: string;
}

export interface Membership {
  groupId: string;
  userId: string;
}

export interface Role {
  id: string;
  name: string;
  domainId: string | null;
  description: string | null;
}

export interface Implication {
  priorId: string;
  impliedId: string;
}

export type ActorType = 'user' | 'group';
export type TargetType = 'project' | 'domain' | 'system';

export interface Assignment {
  actorType: ActorType;
  actorId: string;
  targetType: TargetType;
  /** Project or domain id; `all` for the system. */
  targetId: string;
  roleId: string;
  /** Keystone OS-INHERIT: a domain/project grant that applies to the projects below it. */
  inherited: boolean;
}

export interface Region {
  id: string;
  description: string;
  parentRegionId: string | null;
}

export interface Service {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: boolean;
  /** Created by Stratus for one of its own services; its endpoints follow the listen address. */
  managed: boolean;
}

export interface Endpoint {
  id: string;
  serviceId: string;
  interface: 'public' | 'internal' | 'admin';
  regionId: string | null;
  url: string;
  enabled: boolean;
  managed: boolean;
}

export interface AppCredential {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  secretHash: string;
  projectId: string;
  roleIds: string[];
  expiresAt: number | null;
  unrestricted: boolean;
}

export interface Credential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  /** Opaque string; for `ec2` a JSON document with `access` and `secret`. */
  blob: string;
}

export interface Revocation {
  auditId?: string;
  userId?: string;
  projectId?: string;
  /** Tokens issued strictly before this instant match (for user/project revocations). */
  issuedBefore: number;
  /** The event can be forgotten after this instant (no matching token can still be valid). */
  expiresAt: number;
}

/** Keystone domain-specific configuration: `{group: {option: value}}`; sensitive options apart. */
export interface DomainConfig {
  /** The domain id. */
  id: string;
  config: Record<string, Record<string, unknown>>;
  /** Options that may be written but are never returned (e.g. `ldap.password`). */
  sensitive: Record<string, Record<string, unknown>>;
}

/** OS-EP-FILTER endpoint group: endpoints whose fields match every filter. */
export interface EndpointGroup {
  id: string;
  name: string;
  description: string;
  filters: { service_id?: string; region_id?: string; interface?: string };
}

/** OS-EP-FILTER association: of an endpoint or an endpoint group to a project. */
export interface ProjectEndpoint {
  /** `<projectId>/<endpointId>` or `<projectId>/group:<endpointGroupId>`. */
  id: string;
  projectId: string;
  endpointId: string | null;
  endpointGroupId: string | null;
}

/** A policy blob (`/v3/policies`): opaque to Keystone. */
export interface PolicyBlob {
  id: string;
  type: string;
  blob: string;
  extra: Record<string, unknown>;
}

/** OS-ENDPOINT-POLICY association: a policy applies to an endpoint, a service, or a service in a region. */
export interface PolicyAssociation {
  /** `<endpointId|>/<serviceId|>/<regionId|>`: one policy per target. */
  id: string;
  policyId: string;
  endpointId: string | null;
  serviceId: string | null;
  regionId: string | null;
}

/** OS-OAUTH1 consumer. */
export interface Consumer {
  id: string;
  description: string | null;
  /** NOTE: kept recoverable, as Keystone does: HMAC-SHA1 verification needs the shared secret. */
  secret: string;
  extra: Record<string, unknown>;
}

/** OS-OAUTH1 request token, then (authorized) the roles the user delegated. */
export interface OAuthRequestToken {
  id: string;
  secret: string;
  consumerId: string;
  projectId: string;
  expiresAt: number;
  authorizingUserId: string | null;
  roleIds: string[] | null;
  verifier: string | null;
}

/** OS-OAUTH1 access token: authenticates the consumer as the user, on one project, with some roles. */
export interface OAuthAccessToken {
  id: string;
  secret: string;
  consumerId: string;
  userId: string;
  projectId: string;
  roleIds: string[];
  expiresAt: number | null;
}

export const KIND = {
  domain: 'identity.domain',
  project: 'identity.project',
  user: 'identity.user',
  group: 'identity.group',
  membership: 'identity.membership',
  role: 'identity.role',
  implication: 'identity.implied_role',
  assignment: 'identity.assignment',
  region: 'identity.region',
  service: 'identity.service',
  endpoint: 'identity.endpoint',
  appCred: 'identity.application_credential',
  credential: 'identity.credential',
  revocation: 'identity.revocation',
  secret: 'identity.secret',
  domainConfig: 'identity.domain_config',
  endpointGroup: 'identity.endpoint_group',
  projectEndpoint: 'identity.project_endpoint',
  policy: 'identity.policy',
  policyAssociation: 'identity.policy_association',
  consumer: 'identity.oauth_consumer',
  oauthRequestToken: 'identity.oauth_request_token',
  oauthAccessToken: 'identity.oauth_access_token',
} as const;
