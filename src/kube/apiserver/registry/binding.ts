import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { kubeTime, type KubeObject } from '../../types.js';
import { isObject, obj } from './util.js';

/** The pod a `v1 Binding` names and the node it targets; 400/422 for a malformed one. */
export function bindingRequest(pods: ResourceType, body: KubeObject): { name: string; node: string; uid?: string } {
  if (!isObject(body)) throw KubeError.badRequest('the request body must be a v1 Binding');
  const name = isObject(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : undefined;
  const target = isObject(body.target) ? body.target : undefined;
  if (!name) throw KubeError.badRequest('Binding: metadata.name (the pod) is required');
  if (!target || typeof target.name !== 'string' || target.name === '') {
    throw KubeError.invalid({ ...pods, kind: 'Binding' }, name, [{ field: 'target.name', message: 'Required value', reason: 'FieldValueRequired' }]);
  }
  return { name, node: target.name, ...(body.metadata.uid ? { uid: body.metadata.uid } : {}) };
}

/**
 * Binds `next` (a copy of the stored pod, changed in place) to `node`: spec.nodeName set once
 * and the PodScheduled condition True; 409 when the uid differs, the pod is being deleted or
 * it is bound already.
 */
export function bindPod(pods: ResourceType, next: KubeObject, req: { name: string; node: string; uid?: string }): void {
  const { name, node, uid } = req;
  if (uid && uid !== next.metadata.uid) throw KubeError.conflict(pods, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${next.metadata.uid ?? ''}`);
  const spec = isObject(next.spec) ? next.spec : {};
  if (next.metadata.deletionTimestamp) throw KubeError.conflict(pods, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  if (spec.nodeName) throw KubeError.conflict(pods, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
  obj(next, 'spec').nodeName = node;
  const status = obj(next, 'status');
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'PodScheduled'));
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTime() });
  status.conditions = conditions;
}
