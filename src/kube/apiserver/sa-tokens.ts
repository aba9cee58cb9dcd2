import { createPublicKey, randomUUID } from 'node:crypto';
import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import { kubeTime, type KubeObject, type UserInfo } from '../types.js';
import { looksLikeJwt, signJwt, verifyJwt, type SigningKey } from './jwt.js';

const SERVICEACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;

/** The issuer (and default audience) of this cluster's tokens, as upstream's default. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
/** Upper bound of `expirationSeconds` (upstream validates 2^32). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** How long a positive verification (objects still exist) is trusted before it is checked again. */
const CACHE_MS = 5_000;

/** `authentication.k8s.io/v1` TokenRequest `spec`, as accepted. */
export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export interface ServiceAccountTokens {
  readonly issuer: string;
  /**
   * Serves `POST …/serviceaccounts/<sa>/token`: checks the spec (audiences default to the
   * issuer; `expirationSeconds` 3600 by default, at least 600; `boundObjectRef` a Pod that
   * exists, with a matching uid when one is given) and that the ServiceAccount exists, then
   * returns the TokenRequest with `status.token` (a signed JWT) and `status.expirationTimestamp`.
   * Rejects with KubeError 400/404 for bad input.
   */
  issue(namespace: string, serviceAccount: string, body: Record<string, unknown>): Promise<KubeObject>;
  /**
   * The user of a bearer token issued here: signature, issuer, audience (must include the API's),
   * expiry, and that the ServiceAccount (and the bound Pod) still exist with the uids in the
   * token. Undefined for anything else (not a JWT, someone else's, expired, revoked).
   */
  authenticate(token: string): Promise<UserInfo | undefined>;
}

interface KubeClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
  node?: { name?: string; uid?: string };
}

function bad(msg: string): KubeError {
  return new KubeError(400, 'BadRequest', msg);
}

/** Validates and defaults a TokenRequest body's spec (pure; exported for tests). */
export function tokenRequestSpec(body: Record<string, unknown>, issuer = DEFAULT_ISSUER): { audiences: string[]; expirationSeconds: number; boundObjectRef?: { kind: string; apiVersion: string; name: string; uid?: string } } {
  if (body.apiVersion !== undefined && body.apiVersion !== 'authentication.k8s.io/v1') throw bad(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (authentication.k8s.io/v1)`);
  if (body.kind !== undefined && body.kind !== 'TokenRequest') throw bad(`the kind in the data (${String(body.kind)}) does not match the expected kind (TokenRequest)`);
  const spec = (body.spec ?? {}) as TokenRequestSpec;
  if (typeof spec !== 'object' || Array.isArray(spec)) throw bad('spec must be an object');
  let audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string' || a === '')) throw bad('spec.audiences must be a list of non-empty strings');
  if (audiences.length === 0) audiences = [issuer];
  const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw bad('spec.expirationSeconds must be an integer');
  if (exp < MIN_EXPIRATION_SECONDS) throw bad(`spec.expirationSeconds: Invalid value: ${exp}: may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds (10 minutes)`);
  if (exp > MAX_EXPIRATION_SECONDS) throw bad(`spec.expirationSeconds: Invalid value: ${exp}: may not specify a duration larger than 2^32 seconds`);
  const ref = spec.boundObjectRef;
  if (ref === undefined || ref === null) return { audiences, expirationSeconds: exp };
  if (typeof ref !== 'object' || Array.isArray(ref)) throw bad('spec.boundObjectRef must be an object');
  if (ref.kind !== 'Pod') throw bad(`spec.boundObjectRef.kind: Unsupported value: ${JSON.stringify(ref.kind ?? '')}: supported values: "Pod"`);
  if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') throw bad(`spec.boundObjectRef.apiVersion: Unsupported value: ${JSON.stringify(ref.apiVersion)}: supported values: "v1"`);
  if (typeof ref.name !== 'string' || !ref.name) throw bad('spec.boundObjectRef.name: Required value');
  if (ref.uid !== undefined && typeof ref.uid !== 'string') throw bad('spec.boundObjectRef.uid must be a string');
  return { audiences, expirationSeconds: exp, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) } };
}

async function getOrUndefined(api: KubeApi, res: typeof PODS, ns: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await api.get(res, ns, name);
  } catch (e) {
    if (e instanceof KubeError && e.code === 404) return undefined;
    throw e;
  }
}

/**
 * Bound service-account tokens (TokenRequest): ES256 JWTs signed with the cluster's key
 * (`jwt.ts`), shaped as upstream's: `iss`, `sub` (`system:serviceaccount:<ns>:<sa>`), `aud`,
 * `exp`, `iat`, `nbf`, `jti`, and a `kubernetes.io` claim with the namespace, the
 * ServiceAccount's name and uid, and, when bound, the Pod's name and uid (and its node's).
 * Deleting the ServiceAccount or the Pod revokes the token within `CACHE_MS`.
 */
export function createServiceAccountTokens(opts: { api: KubeApi; key: SigningKey; issuer?: string; now?: () => number }): ServiceAccountTokens {
  const issuer = opts.issuer ?? DEFAULT_ISSUER;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { user: UserInfo; at: number; exp: number }>();
  const publicKey = createPublicKey(opts.key.publicPem);

  return {
    issuer,
    async issue(namespace, serviceAccount, body) {
      const spec = tokenRequestSpec(body, issuer);
      const sa = await getOrUndefined(opts.api, SERVICEACCOUNTS, namespace, serviceAccount);
      if (!sa) throw new KubeError(404, 'NotFound', `serviceaccounts "${serviceAccount}" not found in namespace ${namespace}; create it first (kubectl create serviceaccount ${serviceAccount} -n ${namespace})`, { kind: 'serviceaccounts', name: serviceAccount });
      const k8s: KubeClaims = { namespace, serviceaccount: { name: serviceAccount, uid: sa.metadata.uid } };
      const ref = spec.boundObjectRef;
      if (ref) {
        const pod = await getOrUndefined(opts.api, PODS, namespace, ref.name);
        if (!pod) throw new KubeError(404, 'NotFound', `pods "${ref.name}" not found in namespace ${namespace} (spec.boundObjectRef)`, { kind: 'pods', name: ref.name });
        if (ref.uid && ref.uid !== pod.metadata.uid) throw new KubeError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record (${pod.metadata.uid}); the object might have been deleted and then recreated`);
        const podSa = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default';
        if (podSa !== serviceAccount) throw bad(`pod ${namespace}/${ref.name} runs as service account "${podSa}", not "${serviceAccount}"; a token bound to it must be requested for "${podSa}"`);
        k8s.pod = { name: ref.name, uid: pod.metadata.uid };
        ref.uid = pod.metadata.uid;
        const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        if (nodeName) {
          const node = await getOrUndefined(opts.api, NODES, undefined, nodeName);
          if (node) k8s.node = { name: nodeName, uid: node.metadata.uid };
        }
      }
      const iat = Math.floor(now() / 1000);
      const exp = iat + spec.expirationSeconds;
      const claims = { iss: issuer, sub: `system:serviceaccount:${namespace}:${serviceAccount}`, aud: spec.audiences, exp, iat, nbf: iat, jti: randomUUID(), 'kubernetes.io': k8s };
      const token = signJwt(claims, opts.key);
      return {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: serviceAccount, namespace, creationTimestamp: kubeTime(iat * 1000) },
        spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
        status: { token, expirationTimestamp: kubeTime(exp * 1000) },
      } as KubeObject;
    },

    async authenticate(token) {
      if (!looksLikeJwt(token)) return undefined;
      const t = now();
      const hit = cache.get(token);
      if (hit && t - hit.at < CACHE_MS && t / 1000 <= hit.exp) return hit.user;
      const v = verifyJwt(token, publicKey, t);
      if (!v.ok) return undefined;
      const c = v.claims;
      if (c.iss !== issuer) return undefined;
      const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
      if (!aud.includes(issuer)) return undefined;
      const k = c['kubernetes.io'] as KubeClaims | undefined;
      const ns = k?.namespace;
      const saName = k?.serviceaccount?.name;
      if (!ns || !saName || c.sub !== `system:serviceaccount:${ns}:${saName}`) return undefined;
      try {
        const sa = await getOrUndefined(opts.api, SERVICEACCOUNTS, ns, saName);
        if (!sa || sa.metadata.uid !== k.serviceaccount?.uid || sa.metadata.deletionTimestamp) return undefined;
        if (k.pod) {
          const pod = await getOrUndefined(opts.api, PODS, ns, k.pod.name ?? '');
          if (!pod || pod.metadata.uid !== k.pod.uid || pod.metadata.deletionTimestamp) return undefined;
        }
      } catch {
        return undefined;
      }
      const user: UserInfo = { username: c.sub as string, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
      if (k.serviceaccount?.uid) user.uid = k.serviceaccount.uid;
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { user, at: t, exp: c.exp as number });
      return user;
    },
  };
}
