import { KubeError } from '../../errors.js';
import { ConfigMap, Namespace, Pod, ResourceQuota, Secret, Service, ServiceAccount } from './core.js';
import { decodeMessage } from './decode.js';
import { CronJob, Deployment, Eviction, Job, PodDisruptionBudget, TokenRequest } from './groups.js';
import { DeleteOptions } from './meta.js';
import { ClusterRole, ClusterRoleBinding, LocalSubjectAccessReview, Role, RoleBinding, SelfSubjectAccessReview, SelfSubjectReview, SelfSubjectRulesReview, SubjectAccessReview } from './rbac.js';
import type { Message } from './schema.js';
import { WireError, WireReader, WireType } from './wire.js';

/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients always send (`kubectl create deployment|service|configmap|secret|
 * namespace|job|serviceaccount`, `drain`'s evictions). Decoded into the same JSON object a JSON
 * body would have given, so the rest of the server never sees protobuf. Responses stay JSON,
 * which those clients accept.
 *
 * Layout: the 4-byte magic `k8s\0`, then a `runtime.Unknown` message {1 typeMeta {1 apiVersion,
 * 2 kind}, 2 raw (the object's own message), 3 contentEncoding, 4 contentType}.
 */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** The objects whose tables exist, by `apiVersion kind`. */
const TYPES: ReadonlyMap<string, Message> = new Map([
  ['v1 Namespace', Namespace],
  ['v1 ConfigMap', ConfigMap],
  ['v1 Secret', Secret],
  ['v1 ServiceAccount', ServiceAccount],
  ['v1 Service', Service],
  ['v1 Pod', Pod],
  ['v1 ResourceQuota', ResourceQuota],
  ['apps/v1 Deployment', Deployment],
  ['batch/v1 Job', Job],
  ['batch/v1 CronJob', CronJob],
  ['policy/v1 Eviction', Eviction],
  ['policy/v1 PodDisruptionBudget', PodDisruptionBudget],
  ['authentication.k8s.io/v1 TokenRequest', TokenRequest],
  ['rbac.authorization.k8s.io/v1 Role', Role],
  ['rbac.authorization.k8s.io/v1 ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1 RoleBinding', RoleBinding],
  ['rbac.authorization.k8s.io/v1 ClusterRoleBinding', ClusterRoleBinding],
  ['authorization.k8s.io/v1 SelfSubjectAccessReview', SelfSubjectAccessReview],
  ['authorization.k8s.io/v1 SubjectAccessReview', SubjectAccessReview],
  ['authorization.k8s.io/v1 LocalSubjectAccessReview', LocalSubjectAccessReview],
  ['authorization.k8s.io/v1 SelfSubjectRulesReview', SelfSubjectRulesReview],
  ['authentication.k8s.io/v1 SelfSubjectReview', SelfSubjectReview],
]);

/** meta/v1 option kinds are registered in every group-version, so any apiVersion names them. */
const META_KINDS: ReadonlyMap<string, Message> = new Map([['DeleteOptions', DeleteOptions]]);

/** The kinds named in the 415 answer: every kind with a table, once. */
const DECODED_KINDS = (() => {
  const kinds = [...new Set([...TYPES.keys()].map((k) => k.split(' ')[1]!)), ...META_KINDS.keys()];
  return `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}`;
})();

/** The message table for a type, if this server can decode it. */
export function tableFor(apiVersion: string, kind: string): Message | undefined {
  return TYPES.get(`${apiVersion} ${kind}`) ?? META_KINDS.get(kind);
}

/** The envelope's parts. */
export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Splits a body into the `runtime.Unknown` envelope; throws WireError when malformed. */
export function readEnvelope(body: Uint8Array): Envelope {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) {
    throw new WireError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  const r = new WireReader(body.subarray(4));
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field >= 1 && field <= 4 && wireType !== WireType.Len) throw new WireError(`envelope field ${field} has wire type ${wireType}, expected 2`);
    if (field === 1) {
      const tm = new WireReader(r.bytes());
      while (!tm.done()) {
        const t = tm.tag();
        if (t.field <= 2 && t.wireType !== WireType.Len) throw new WireError(`typeMeta field ${t.field} has wire type ${t.wireType}, expected 2`);
        if (t.field === 1) env.apiVersion = tm.string();
        else if (t.field === 2) env.kind = tm.string();
        else tm.skip(t.wireType);
      }
    } else if (field === 2) env.raw = r.bytes();
    else if (field === 3) env.contentEncoding = r.string();
    else if (field === 4) env.contentType = r.string();
    else r.skip(wireType);
  }
  return env;
}

const HINT = 'use `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -` instead, which sends JSON';

/**
 * Decodes a protobuf request body into a JSON object with `apiVersion` and `kind` set from the
 * envelope. Malformed bytes → 400 BadRequest; a type without a table (or no type at all), or an
 * envelope wrapping another encoding, → 415 UnsupportedMediaType with a hint. Never throws anything but KubeError.
 */
export function decodeProtobufBody(body: Uint8Array): Record<string, unknown> {
  let env: Envelope;
  try {
    env = readEnvelope(body);
  } catch (e) {
    throw malformed(e);
  }
  if (env.contentEncoding !== '') {
    throw new KubeError(415, 'UnsupportedMediaType', `protobuf bodies with contentEncoding "${env.contentEncoding}" are not supported; send the object unencoded, or ${HINT}`);
  }
  const inner = env.contentType.split(';')[0]!.trim().toLowerCase();
  if (inner === 'application/json') {
    // An envelope may carry JSON (runtime.Unknown is also used that way); accept it.
    let obj: unknown;
    try {
      obj = JSON.parse(Buffer.from(env.raw).toString('utf8'));
    } catch (e) {
      throw KubeError.badRequest(`the JSON inside the protobuf envelope is not valid: ${(e as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw KubeError.badRequest('the JSON inside the protobuf envelope must be an object');
    return withType(obj as Record<string, unknown>, env);
  }
  if (inner !== '' && inner !== PROTOBUF_MEDIA_TYPE) {
    throw new KubeError(415, 'UnsupportedMediaType', `the protobuf envelope wraps "${env.contentType}", which this server does not decode; ${HINT}`);
  }
  if (env.kind === '') {
    // Not decodable without a kind: answered like an unknown type, with the way out.
    throw new KubeError(415, 'UnsupportedMediaType', `the protobuf envelope names no kind (typeMeta.kind is empty), so this server cannot decode it; ${HINT}`);
  }
  const table = tableFor(env.apiVersion, env.kind);
  if (!table) {
    throw new KubeError(415, 'UnsupportedMediaType', `this server decodes protobuf request bodies only for ${DECODED_KINDS}, not ${env.apiVersion} ${env.kind}: ${HINT}`);
  }
  try {
    return withType(decodeMessage(table, env.raw), env);
  } catch (e) {
    throw malformed(e);
  }
}

function withType(obj: Record<string, unknown>, env: Envelope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.apiVersion) out.apiVersion = env.apiVersion;
  if (env.kind) out.kind = env.kind;
  return Object.assign(out, obj);
}

function malformed(e: unknown): KubeError {
  if (e instanceof WireError) return KubeError.badRequest(`the protobuf request body is malformed: ${e.message}`);
  // Defensive: the reader only throws WireError, but a decoding bug must not become a 500.
  return KubeError.badRequest(`the protobuf request body could not be decoded: ${(e as Error)?.message ?? String(e)}`);
}
