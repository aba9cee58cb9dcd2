import type { KubeObject } from '../types.js';
import { num, ownerRefTo, spec, type Json } from './objects.js';
import { isPodReady, podPhase } from './pods.js';
import { REVISION_HASH } from './revisions.js';

/** Pod identity of StatefulSet members (upstream `stateful_set_utils.go`, written from its documented behaviour). */

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of `<set>-<n>`, or undefined when `pod` is not named as a member of `set`. */
export function ordinalOf(setName: string, pod: KubeObject): number | undefined {
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(`${setName}-`)) return undefined;
  const rest = name.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** `spec.ordinals.start` (default 0). */
export function ordinalStart(set: KubeObject): number {
  return num((spec(set).ordinals as Json | undefined)?.start, 0);
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(template: Json, set: KubeObject, ordinal: number): string {
  return `${String((template.metadata as Json | undefined)?.name ?? '')}-${podName(set, ordinal)}`;
}

export function claimTemplates(set: KubeObject): Json[] {
  const t = spec(set).volumeClaimTemplates;
  return Array.isArray(t) ? (t as Json[]).filter((x) => x && typeof x === 'object') : [];
}

/** Running and Ready, not terminating: what OrderedReady waits for. */
export function isRunningAndReady(pod: KubeObject): boolean {
  return !pod.metadata.deletionTimestamp && podPhase(pod) === 'Running' && isPodReady(pod);
}

/** Failed or Succeeded: a member the controller deletes and creates again under the same name. */
export function isFinished(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Failed' || phase === 'Succeeded';
}

export function revisionOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[REVISION_HASH];
}

/**
 * The pod of `ordinal` from `template` (the template of revision `revision`): stable name,
 * hostname and subdomain (so a headless service named `serviceName` gives it a DNS name), the
 * identity labels, and one `persistentVolumeClaim` volume per claim template (replacing a
 * template volume of the same name).
 */
export function memberPod(set: KubeObject, template: Json, revision: string, ordinal: number): KubeObject {
  const meta = (template.metadata as Json | undefined) ?? {};
  const name = podName(set, ordinal);
  const podSpec = structuredClone((template.spec as Json | undefined) ?? {});
  podSpec.hostname = name;
  const service = spec(set).serviceName;
  if (typeof service === 'string' && service) podSpec.subdomain = service;
  const claims = claimTemplates(set);
  if (claims.length) {
    const names = new Set(claims.map((c) => String((c.metadata as Json | undefined)?.name ?? '')));
    const own = ((podSpec.volumes as Json[] | undefined) ?? []).filter((v) => !names.has(String(v.name)));
    podSpec.volumes = [...own, ...claims.map((c) => ({ name: String((c.metadata as Json | undefined)?.name ?? ''), persistentVolumeClaim: { claimName: claimName(c, set, ordinal) } }))];
  }
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH]: revision },
      annotations: { ...((meta.annotations as Record<string, string>) ?? {}) },
      ownerReferences: [ownerRefTo(set)],
    },
    spec: podSpec,
  };
  if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = [...(meta.finalizers as string[])];
  return pod;
}

/**
 * The claim of `template` for `ordinal`: the template's labels plus the set's `matchLabels`
 * (as upstream), and, when the retention policy deletes claims with the set, an ownerReference
 * to the set so the garbage collector removes it after the set.
 */
export function memberClaim(set: KubeObject, template: Json, ordinal: number): KubeObject {
  const meta = (template.metadata as Json | undefined) ?? {};
  const matchLabels = ((spec(set).selector as Json | undefined)?.matchLabels as Record<string, string> | undefined) ?? {};
  const claim: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(template, set, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}), ...matchLabels },
    },
    spec: structuredClone((template.spec as Json | undefined) ?? {}),
  };
  if (meta.annotations) claim.metadata.annotations = { ...(meta.annotations as Record<string, string>) };
  if (retention(set).whenDeleted === 'Delete') claim.metadata.ownerReferences = [{ ...ownerRefTo(set), controller: false }];
  return claim;
}

export function retention(set: KubeObject): { whenDeleted: string; whenScaled: string } {
  const p = (spec(set).persistentVolumeClaimRetentionPolicy as Json | undefined) ?? {};
  return { whenDeleted: String(p.whenDeleted ?? 'Retain'), whenScaled: String(p.whenScaled ?? 'Retain') };
}

/** The pod template a ControllerRevision of a StatefulSet stores (`data.spec.template`). */
export function revisionTemplate(cr: KubeObject | undefined): Json | undefined {
  const t = ((cr?.data as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined;
  if (!t) return undefined;
  const copy = structuredClone(t);
  delete copy.$patch;
  return copy;
}
