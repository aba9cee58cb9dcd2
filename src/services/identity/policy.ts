import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';

/** What an action is applied to, as far as policy cares. */
export interface Target {
  userId?: string;
  projectId?: string;
  domainId?: string;
}

type Rule = (a: AuthContext, t: Target) => boolean;

// NOTE: Keystone's legacy policy (enforce_scope off, as devstack runs): the admin role in any
// scope is the cloud admin. Everyone else may read what is theirs and manage only their own
// credentials; a reader may read but write nothing.
const admin: Rule = (a) => a.roles.includes('admin');
const self: Rule = (a, t) => t.userId !== undefined && a.userId === t.userId;
const canWrite: Rule = (a) => a.roles.includes('member') || a.roles.includes('admin') || (!a.projectId && !a.domainId && !a.system);
const any: Rule = () => true;
const or = (...rules: Rule[]): Rule => (a, t) => rules.some((r) => r(a, t));
const and = (...rules: Rule[]): Rule => (a, t) => rules.every((r) => r(a, t));

const RULES: Record<string, Rule> = {
  'identity:get_domain': or(admin, (a, t) => !!t.domainId && (a.projectDomainId === t.domainId || a.domainId === t.domainId)),
  'identity:list_domains': admin,
  'identity:manage_domain': admin,

  'identity:get_project': or(admin, (a, t) => !!t.projectId && a.projectId === t.projectId),
  'identity:list_projects': admin,
  'identity:list_user_projects': or(admin, self),
  'identity:manage_project': admin,

  'identity:get_user': or(admin, self),
  'identity:list_users': admin,
  'identity:manage_user': admin,
  'identity:list_groups_for_user': or(admin, self),

  'identity:get_group': admin,
  'identity:list_groups': admin,
  'identity:manage_group': admin,

  'identity:get_role': admin,
  'identity:list_roles': admin,
  'identity:manage_role': admin,
  'identity:manage_grants': admin,
  'identity:list_role_assignments': admin,

  'identity:get_region': any,
  'identity:list_regions': any,
  'identity:manage_region': admin,
  'identity:get_service': admin,
  'identity:list_services': admin,
  'identity:manage_service': admin,
  'identity:get_endpoint': admin,
  'identity:list_endpoints': admin,
  'identity:manage_endpoint': admin,

  'identity:get_domain_config': admin,
  'identity:get_domain_config_default': admin,
  'identity:manage_domain_config': admin,
  'identity:get_endpoint_group': admin,
  'identity:manage_endpoint_group': admin,
  'identity:get_policy': admin,
  'identity:manage_policy': admin,
  'identity:manage_consumer': admin,
  'identity:oauth_access_token': or(admin, self),

  'identity:get_credential': or(admin, self),
  'identity:list_credentials': any, // filtered to the caller's own unless admin
  'identity:create_credential': or(admin, and(self, canWrite)),
  'identity:manage_credential': or(admin, and(self, canWrite)),
  'identity:ec2_read': or(admin, self),
  'identity:ec2_write': or(admin, and(self, canWrite)),

  'identity:appcred_read': or(admin, self),
  'identity:appcred_create': and(self, canWrite),
  'identity:appcred_delete': or(admin, and(self, canWrite)),

  'identity:validate_token': or(admin, self),
  'identity:revoke_token': or(admin, self),
};

export function isAdmin(a: AuthContext): boolean {
  return admin(a, {});
}

/** Throws 401 without a token and 403 when the rule refuses. */
export function authorize(a: AuthContext | null, action: keyof typeof RULES | string, target: Target = {}): AuthContext {
  if (!a) throw unauthorized();
  const rule = RULES[action];
  if (!rule) throw new Error(`no policy rule for ${action}`);
  if (!rule(a, target)) throw forbidden(`You are not authorized to perform the requested action: ${action}.`);
  return a;
}
