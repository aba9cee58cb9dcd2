import type { KubeObject } from '../types.js';
import { bestVolume, claimClass, podClaimNames, SELECTED_NODE_ANNOTATION, volumeFitsNode } from './binder.js';

/**
 * The scheduler's VolumeBinding plugin, over the scheduler's caches:
 *
 * - pre-filter (`claimsPreFilter`): every claim the pod names must exist and not be deleted,
 *   and be bound unless its class waits for the first consumer — else the pod stays Pending
 *   with upstream's reason (`pod has unbound immediate PersistentVolumeClaims`);
 * - filter (`volumeFilter`): a bound claim's volume must admit the node (`spec.nodeAffinity`:
 *   local volumes pin pods to their node); an unbound WaitForFirstConsumer claim needs a
 *   matching volume usable there or a class that provisions (and the node the scheduler
 *   already chose for it, once chosen);
 * - pre-bind (`claimsToSelect`): the unbound WaitForFirstConsumer claims, which the scheduler
 *   annotates with `volume.kubernetes.io/selected-node` and waits for (the PV controller binds
 *   or provisions them there) before binding the pod.
 */

export interface VolumeCaches {
  claim(namespace: string, name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
  storageClass(name: string): KubeObject | undefined;
  volumes(): readonly KubeObject[];
}

type Json = Record<string, unknown>;

export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

function isBound(pvc: KubeObject): boolean {
  const name = (pvc.spec as Json | undefined)?.volumeName;
  return typeof name === 'string' && name !== '' && (pvc.status as Json | undefined)?.phase === 'Bound';
}

function waitsForConsumer(pvc: KubeObject, caches: VolumeCaches): boolean {
  const cls = claimClass(pvc);
  return !!cls && caches.storageClass(cls)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** Why no node can take the pod because of its claims (undefined: go on filtering nodes). */
export function claimsPreFilter(pod: KubeObject, caches: VolumeCaches): string | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  let unboundImmediate = false;
  for (const name of podClaimNames(pod)) {
    const pvc = caches.claim(ns, name);
    if (!pvc) return `persistentvolumeclaim "${name}" not found`;
    if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (!isBound(pvc) && !waitsForConsumer(pvc, caches)) unboundImmediate = true;
  }
  return unboundImmediate ? 'pod has unbound immediate PersistentVolumeClaims' : undefined;
}

/** Why `node` cannot serve the pod's claims (undefined: it can). Run after `claimsPreFilter`. */
export function volumeFilter(pod: KubeObject, node: KubeObject, caches: VolumeCaches): string | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  for (const name of podClaimNames(pod)) {
    const pvc = caches.claim(ns, name);
    if (!pvc) continue;
    if (isBound(pvc)) {
      const pv = caches.volume(String((pvc.spec as Json).volumeName));
      if (pv && !volumeFitsNode(pv, node)) return 'node(s) had volume node affinity conflict';
      continue;
    }
    const selected = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (selected && selected !== node.metadata.name) return 'node(s) had volume node affinity conflict';
    const sc = caches.storageClass(claimClass(pvc));
    const provisions = !!sc && typeof sc.provisioner === 'string' && sc.provisioner !== NO_PROVISIONER;
    if (!provisions && !bestVolume(pvc, caches.volumes(), node)) return "node(s) didn't find available persistent volumes to bind";
  }
  return undefined;
}

/** The pod's unbound WaitForFirstConsumer claims (to annotate with the chosen node, then wait for). */
export function claimsToSelect(pod: KubeObject, caches: VolumeCaches): KubeObject[] {
  const ns = pod.metadata.namespace ?? 'default';
  return podClaimNames(pod)
    .map((n) => caches.claim(ns, n))
    .filter((pvc): pvc is KubeObject => !!pvc && !isBound(pvc));
}
