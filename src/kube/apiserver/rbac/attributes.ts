import { KubeError } from '../../errors.js';
import type { UserInfo } from '../../types.js';
import { forbiddenReason, type Attributes } from './rules.js';

/**
 * The authorization attributes of an HTTP request, parsed from the URL alone as kube-apiserver
 * does (it needs no knowledge of which resources exist):
 * - `/api/<v>/…` and `/apis/<g>/<v>/…` with at least a resource are resource requests; anything
 *   shorter (`/api`, `/api/v1`, `/apis/apps/v1`) and every other path is a non-resource request
 *   whose verb is the lower-case method (`get`, `post`…);
 * - a `watch` or `proxy` segment right after the version is a verb (`/api/v1/watch/pods`);
 * - `namespaces/<ns>/<resource>/<name>/<subresource>`; `namespaces/<ns>` itself is the
 *   namespace object, with namespace = its name (as upstream);
 * - verbs by method: POST create, GET/HEAD get (list or watch without a name: watch when
 *   `watch=true`), PUT update, PATCH patch, DELETE delete (deletecollection without a name);
 *   a list/watch whose fieldSelector pins `metadata.name=<x>` is about the name `<x>`.
 */
export function requestAttributes(user: UserInfo, method: string, pathname: string, query: URLSearchParams): Attributes {
  const a: Attributes = { user, verb: method.toLowerCase(), resourceRequest: false, path: pathname, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  let parts: string[];
  try {
    parts = pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  } catch {
    return a;
  }
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return a;
  let rest = parts.slice(1);
  if (parts[0] === 'apis') {
    if (rest.length < 3) return a;
    a.apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  a.resourceRequest = true;
  a.apiVersion = rest[0]!;
  rest = rest.slice(1);
  switch (method) {
    case 'POST':
      a.verb = 'create';
      break;
    case 'GET':
    case 'HEAD':
      a.verb = 'get';
      break;
    case 'PUT':
      a.verb = 'update';
      break;
    case 'PATCH':
      a.verb = 'patch';
      break;
    case 'DELETE':
      a.verb = 'delete';
      break;
    default:
      a.verb = '';
  }
  let special = '';
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    special = rest[0];
    if (rest.length >= 2) {
      a.verb = special;
      rest = rest.slice(1);
    }
  }
  if (rest[0] === 'namespaces' && rest.length > 1) {
    a.namespace = rest[1]!;
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  if (rest.length >= 3 && special !== 'proxy') a.subresource = rest[2]!;
  if (rest.length >= 2) a.name = rest[1]!;
  if (rest.length >= 1) a.resource = rest[0]!;
  if (a.name === '' && a.verb === 'get') {
    const w = query.get('watch');
    a.verb = w === 'true' || w === '1' ? 'watch' : 'list';
    const m = /^(?:.*,)?metadata\.name==?([^,]+)(?:,.*)?$/.exec(query.get('fieldSelector') ?? '');
    if (m && !/[/%]/.test(m[1]!) && m[1] !== '.' && m[1] !== '..') a.name = m[1]!;
  }
  if (a.name === '' && a.verb === 'delete') a.verb = 'deletecollection';
  return a;
}

/**
 * The 403 of a denied request: `pods is forbidden: User "u" cannot list resource "pods" in API
 * group "" in the namespace "default"`, `pods "p" is forbidden: …` with a name, `forbidden: User
 * "u" cannot get path "/x"` for non-resource URLs; `reason` (e.g. an RBAC resolution error) is
 * appended after a colon.
 */
export function forbidden(a: Attributes, reason = ''): KubeError {
  const why = reason ? `${forbiddenReason(a)}: ${reason}` : forbiddenReason(a);
  if (!a.resourceRequest || (a.resource === '' && a.apiGroup === '')) return new KubeError(403, 'Forbidden', `forbidden: ${why}`);
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const message = a.name ? `${gr} ${JSON.stringify(a.name)} is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
  const details: NonNullable<ReturnType<KubeError['toStatus']>['details']> = { kind: a.resource };
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  return new KubeError(403, 'Forbidden', message, details);
}
