import { forbidden, unauthorized } from '../../core/errors.js';
import type { AuthContext } from '../../http/auth.js';
import { groupsAllow, parseAcl, referrerAllowed } from './acl.js';
import { projectOfAccount, type ContainerRecord } from './logic/index.js';

/** Who is asking: a token's context (or null), the Referer, and whether a TempURL admitted it. */
export interface Caller {
  auth: AuthContext | null;
  referer?: string | undefined;
  /** A valid TempURL signed this object request. */
  tempUrl: boolean;
}

export type Action = 'account:read' | 'account:write' | 'container:read' | 'container:write' | 'object:read' | 'object:write';

/** Roles that may use any account (keystoneauth's reseller_admin_role, plus the cloud admin). */
const RESELLER_ROLES = ['admin', 'ResellerAdmin'];

/**
 * How a token relates to an account, as keystoneauth decides it: a reseller admin may do
 * anything anywhere; a member (operator role) of the account's project owns it; a reader of
 * it may only read.
 */
export function accountAccess(auth: AuthContext | null, account: string): 'admin' | 'owner' | 'reader' | 'none' {
  if (!auth) return 'none';
  if (auth.roles.some((r) => RESELLER_ROLES.includes(r))) return 'admin';
  if (!auth.projectId || auth.projectId !== projectOfAccount(account)) return 'none';
  if (auth.roles.includes('member')) return 'owner';
  return auth.roles.includes('reader') ? 'reader' : 'none';
}

/** Owners see and set what only owners may (ACLs, TempURL keys). */
export function isOwner(c: Caller, account: string): boolean {
  const a = accountAccess(c.auth, account);
  return a === 'admin' || a === 'owner';
}

/**
 * Allows the action or throws: 401 for an anonymous caller, 403 for a token that lacks the
 * right. Container ACLs apply to listing and to object reads and writes; the container record
 * must be passed for them.
 */
export function authorize(c: Caller, account: string, action: Action, container?: ContainerRecord): void {
  const access = accountAccess(c.auth, account);
  if (access === 'admin' || access === 'owner') return;
  const reading = action.endsWith(':read');
  if (access === 'reader' && reading) return;
  if (c.tempUrl && action.startsWith('object:')) return;
  if (container && (action === 'object:read' || action === 'container:read' || action === 'object:write')) {
    const acl = parseAcl(reading ? container.readAcl : container.writeAcl);
    if (c.auth && groupsAllow(c.auth, acl.groups)) return;
    if (reading && referrerAllowed(c.referer, acl.referrers) && (action === 'object:read' || acl.listings)) return;
  }
  throw c.auth ? forbidden('Access was denied to this resource.') : unauthorized('This server could not verify that you are authorized to access the document you requested.');
}
