import { badRequest } from '../../core/errors.js';

/**
 * Swift container ACLs (v1, as keystoneauth reads them): a comma-separated list of
 * - referrer rules `.r:*`, `.r:host`, `.r:.domain` (suffix), `.r:-host` (deny), read ACL only;
 * - `.rlistings`, which lets referrer-granted requests list the container;
 * - `<project>:<user>` with ids, names or `*`, and bare role names.
 */
export interface ParsedAcl {
  referrers: string[];
  listings: boolean;
  groups: string[];
}

export function parseAcl(value: string | null | undefined): ParsedAcl {
  const out: ParsedAcl = { referrers: [], listings: false, groups: [] };
  for (const raw of (value ?? '').split(',')) {
    const v = raw.trim();
    if (!v) continue;
    if (v === '.rlistings') out.listings = true;
    else if (v.startsWith('.r:')) out.referrers.push(v.slice(3));
    else out.groups.push(v);
  }
  return out;
}

const REFERRER_ALIASES = ['.r:', '.ref:', '.referer:', '.referrer:'];

/**
 * Normalises an ACL header value as Swift's clean_acl does; throws BadRequest for what it
 * rejects (referrers in a write ACL, empty referrers, unknown dotted items).
 */
export function cleanAcl(header: 'read' | 'write', value: string): string {
  const items: string[] = [];
  for (const raw of value.split(',')) {
    let v = raw.trim();
    if (!v) continue;
    const alias = REFERRER_ALIASES.find((a) => v.toLowerCase().startsWith(a));
    if (alias) {
      if (header === 'write') throw badRequest('Referrers not allowed in write ACL: ' + JSON.stringify(v));
      const target = v.slice(alias.length).trim();
      if (!target || target === '-') throw badRequest('No host/domain value after referrer designation in ACL: ' + JSON.stringify(v));
      v = `.r:${target}`;
    } else if (v.startsWith('.')) {
      if (v !== '.rlistings') throw badRequest('Unknown designator in ACL: ' + JSON.stringify(v));
      if (header === 'write') throw badRequest('.rlistings is not allowed in write ACL.');
    }
    items.push(v);
  }
  return items.join(',');
}

/** Whether referrer rules let a request with this Referer in; the last matching rule wins. */
export function referrerAllowed(referer: string | undefined, rules: string[]): boolean {
  const host = refererHost(referer);
  let allowed = false;
  for (const rule of rules) {
    const deny = rule.startsWith('-');
    const r = (deny ? rule.slice(1) : rule).toLowerCase();
    const hit = r === '*' || (host !== undefined && (r === host || (r.startsWith('.') && (host.endsWith(r) || host === r.slice(1)))));
    if (hit) allowed = !deny;
  }
  return allowed;
}

function refererHost(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Who a token belongs to, as ACL entries may name them. */
export interface AclIdentity {
  userId: string;
  userName: string;
  projectId?: string | undefined;
  projectName?: string | undefined;
  roles: string[];
}

/** keystoneauth's cross-project check: `<project>:<user>` in any id/name/`*` combination, or a role. */
export function groupsAllow(who: AclIdentity, groups: string[]): boolean {
  const set = new Set(groups);
  for (const p of [who.projectId, who.projectName, '*']) {
    if (p === undefined) continue;
    for (const u of [who.userId, who.userName, '*']) if (set.has(`${p}:${u}`)) return true;
  }
  const lower = new Set(groups.map((g) => g.toLowerCase()));
  return who.roles.some((r) => lower.has(r.toLowerCase()));
}
