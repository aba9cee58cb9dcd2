import { KubeError, type InvalidCause } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import type { KubeObject, UserInfo } from '../../types.js';
import type { RbacAuthorizer } from './authorizer.js';
import type { Attributes } from './rules.js';

/**
 * The review APIs (create only, nothing stored; the answer is the request with `status`):
 * - authorization.k8s.io/v1 SelfSubjectAccessReview: may the caller do X? (`kubectl auth can-i`)
 * - SubjectAccessReview / LocalSubjectAccessReview: may user U with groups G do X?
 * - SelfSubjectRulesReview: every rule the caller holds in a namespace (`kubectl auth can-i --list`)
 * - authentication.k8s.io/v1 SelfSubjectReview: who am I? (`kubectl auth whoami`)
 * Malformed specs are 422 Invalid with field causes, named as upstream names them
 * (`SelfSubjectAccessReview.authorization.k8s.io "" is invalid: …`).
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function invalid(res: ResourceType, causes: InvalidCause[]): KubeError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const text = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new KubeError(422, 'Invalid', `${res.kind}.${res.group} "" is invalid: ${text}`, {
    group: res.group,
    kind: res.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** The attributes a review asks about; `user` is who is asked about. */
function attributesOf(res: ResourceType, spec: Json, user: UserInfo, local: string | undefined): Attributes {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  const causes: InvalidCause[] = [];
  if ((ra === undefined || ra === null) === (nra === undefined || nra === null)) {
    causes.push({ field: 'spec.resourceAttributes', message: `Invalid value: ${ra === undefined || ra === null ? '"null"' : JSON.stringify(ra)}: exactly one of nonResourceAttributes or resourceAttributes must be specified` });
  } else if (ra !== undefined && ra !== null && !isObj(ra)) causes.push({ field: 'spec.resourceAttributes', message: 'Invalid value: must be an object' });
  else if (nra !== undefined && nra !== null && !isObj(nra)) causes.push({ field: 'spec.nonResourceAttributes', message: 'Invalid value: must be an object' });
  if (local !== undefined && nra !== undefined && nra !== null) {
    causes.push({ field: 'spec.nonResourceAttributes', message: `Invalid value: ${JSON.stringify(nra)}: disallowed on this kind of request`, reason: 'FieldValueInvalid' });
  }
  if (local !== undefined && isObj(ra) && str(ra.namespace) !== '' && ra.namespace !== local) {
    causes.push({ field: 'spec.resourceAttributes.namespace', message: `Invalid value: ${JSON.stringify(ra.namespace)}: must match metadata.namespace` });
  }
  if (causes.length) throw invalid(res, causes);
  if (isObj(ra)) {
    const ns = local ?? str(ra.namespace);
    return { user, verb: str(ra.verb), resourceRequest: true, path: '', apiGroup: str(ra.group), apiVersion: str(ra.version), namespace: ns, resource: str(ra.resource), subresource: str(ra.subresource), name: str(ra.name) };
  }
  const n = nra as Json;
  return { user, verb: str(n.verb), resourceRequest: false, path: str(n.path), apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}

function specOf(res: ResourceType, body: KubeObject): Json {
  if (body.spec === undefined || body.spec === null) throw invalid(res, [{ field: 'spec', message: 'Required value', reason: 'FieldValueRequired' }]);
  if (!isObj(body.spec)) throw invalid(res, [{ field: 'spec', message: 'Invalid value: must be an object' }]);
  return body.spec;
}

function answer(body: KubeObject, status: Json): KubeObject {
  const meta = { ...body.metadata, creationTimestamp: null } as unknown as KubeObject['metadata'];
  return { ...body, metadata: meta, status };
}

function accessStatus(rbac: RbacAuthorizer, a: Attributes): Json {
  const d = rbac.authorize(a);
  const status: Json = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  return status;
}

/** Serves a create of one of the review kinds as `caller`; `namespace` from the URL. */
export function review(rbac: RbacAuthorizer, res: ResourceType, namespace: string | undefined, body: KubeObject, caller: UserInfo): KubeObject {
  switch (res.resource) {
    case 'selfsubjectaccessreviews': {
      const spec = specOf(res, body);
      return answer(body, accessStatus(rbac, attributesOf(res, spec, caller, undefined)));
    }
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const spec = specOf(res, body);
      const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
      const user = str(spec.user);
      if (user === '' && groups.length === 0) throw invalid(res, [{ field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
      const subject: UserInfo = { username: user, groups };
      const local = res.resource === 'localsubjectaccessreviews' ? (namespace ?? '') : undefined;
      if (local !== undefined && body.metadata.namespace && body.metadata.namespace !== local) {
        throw KubeError.badRequest(`the namespace of the object (${body.metadata.namespace}) does not match the namespace on the request (${local})`);
      }
      const out = answer(body, accessStatus(rbac, attributesOf(res, spec, subject, local)));
      if (local !== undefined) out.metadata.namespace = local;
      return out;
    }
    case 'selfsubjectrulesreviews': {
      const spec = specOf(res, body);
      const ns = str(spec.namespace);
      if (ns === '') throw KubeError.badRequest('no namespace on request: set spec.namespace (kubectl auth can-i --list -n <namespace>)');
      const { rules, errors } = rbac.rulesFor(caller, ns);
      const status: Json = {
        resourceRules: rules.filter((r) => r.resources.length > 0).map((r) => {
          const o: Json = { verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources };
          if (r.resourceNames.length) o.resourceNames = r.resourceNames;
          return o;
        }),
        nonResourceRules: rules.filter((r) => r.nonResourceURLs.length > 0).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
        incomplete: false,
      };
      if (errors.length) status.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
      return answer(body, status);
    }
    case 'selfsubjectreviews': {
      const userInfo: Json = { username: caller.username, groups: caller.groups };
      if (caller.uid) userInfo.uid = caller.uid;
      return answer(body, { userInfo });
    }
    default:
      throw KubeError.methodNotAllowed(`${res.resource} cannot be created here`);
  }
}
