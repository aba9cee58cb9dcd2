import type { IncomingMessage } from 'node:http';
import { KubeError } from '../../errors.js';
import type { UserInfo } from '../../types.js';
import { forbidden } from './attributes.js';
import type { Decision } from './authorizer.js';
import type { Attributes } from './rules.js';

const SA_PREFIX = 'system:serviceaccount:';

/**
 * User impersonation (`kubectl --as=<user> --as-group=<g> --as-uid=<uid>`): the headers
 * `Impersonate-User`, `Impersonate-Group` (repeatable) and `Impersonate-Uid`, each authorized
 * by the `impersonate` verb of the caller on `users`/`<name>`, `serviceaccounts` (`<ns>`/`<name>`,
 * for `system:serviceaccount:<ns>:<name>`), `groups`/`<name>` or `uids.authentication.k8s.io`.
 * The request then runs as the impersonated user: its groups are the ones asked for (an
 * account asked for without groups gets the service-account groups), plus `system:authenticated` unless
 * `system:authenticated` or `system:unauthenticated` is among them (`system:unauthenticated`
 * for `system:anonymous`). Without headers the user is returned unchanged.
 * NOTE: a group or uid without a user is a 400 (upstream answers 500 for it); `Impersonate-
 * Extra-*` is refused with 400 because this server's users carry no extra attributes.
 */
export function impersonate(req: IncomingMessage, user: UserInfo, authorize: (a: Attributes) => Decision): UserInfo {
  const h = req.headersDistinct;
  const names = h['impersonate-user'] ?? [];
  const groups = (h['impersonate-group'] ?? []).filter((g) => g !== '');
  const uids = h['impersonate-uid'] ?? [];
  const extras = Object.keys(h).filter((k) => k.startsWith('impersonate-extra-'));
  if (names.length === 0 && groups.length === 0 && uids.length === 0 && extras.length === 0) return user;
  if (names.length !== 1 || names[0] === '') {
    throw KubeError.badRequest(`requested impersonation of ${[...groups.map((g) => `group ${JSON.stringify(g)}`), ...uids.map((u) => `uid ${JSON.stringify(u)}`), ...extras].join(', ') || 'nothing'} without impersonating a user: add exactly one Impersonate-User header (kubectl --as=<user>)`);
  }
  if (extras.length) throw KubeError.badRequest(`this server does not support ${extras.join(', ')}: impersonate a user, groups and a uid only`);
  if (uids.length > 1) throw KubeError.badRequest('at most one Impersonate-Uid header is allowed');
  const name = names[0]!;
  const check = (a: Partial<Attributes>) => {
    const attrs: Attributes = { user, verb: 'impersonate', resourceRequest: true, path: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', ...a };
    const d = authorize(attrs);
    if (!d.allowed) throw forbidden(attrs, d.reason);
  };
  const outGroups: string[] = [];
  if (name.startsWith(SA_PREFIX) && name.split(':').length === 4) {
    const [, , ns, sa] = name.split(':') as [string, string, string, string];
    check({ resource: 'serviceaccounts', namespace: ns, name: sa });
    if (groups.length === 0) outGroups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`);
  } else {
    check({ resource: 'users', name });
  }
  for (const g of groups) {
    check({ resource: 'groups', name: g });
    if (!outGroups.includes(g)) outGroups.push(g);
  }
  if (uids[0]) check({ resource: 'uids', apiGroup: 'authentication.k8s.io', name: uids[0] });
  const special = name === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
  if (!outGroups.includes('system:authenticated') && !outGroups.includes('system:unauthenticated')) outGroups.push(special);
  const out: UserInfo = { username: name, groups: outGroups };
  if (uids[0]) out.uid = uids[0];
  return out;
}
