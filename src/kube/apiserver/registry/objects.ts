import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { apiVersionOf } from '../../resources.js';
import { formatLabelSelector, labelSelectorFromObject } from '../../selectors.js';
import type { KubeObject } from '../../types.js';
import { storageInitialStatus } from '../../storage/defaults.js';
import { isObject } from './util.js';

/**
 * Checks a request body against the URL: an object of the URL's apiVersion/kind (filled in when
 * absent), in the URL's namespace, named as the URL says (updates). Returns a private copy.
 */
export function bodyFor(res: ResourceType, namespace: string | undefined, body: unknown, name?: string): KubeObject {
  if (!isObject(body)) throw KubeError.badRequest(`the request body must be a JSON object (a ${res.kind})`);
  const o = structuredClone(body) as KubeObject;
  const gv = apiVersionOf(res);
  if (o.apiVersion === undefined || o.apiVersion === '') o.apiVersion = gv;
  if (o.kind === undefined || o.kind === '') o.kind = res.kind;
  if (o.apiVersion !== gv) throw KubeError.badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${gv})`);
  if (o.kind !== res.kind) throw KubeError.badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${res.kind}) of ${res.resource}`);
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  if (!isObject(o.metadata)) throw KubeError.badRequest('metadata must be an object');
  if (res.namespaced) {
    if (o.metadata.namespace !== undefined && o.metadata.namespace !== '' && o.metadata.namespace !== namespace) {
      throw KubeError.badRequest(`the namespace of the provided object (${o.metadata.namespace}) does not match the namespace sent on the request (${String(namespace)})`);
    }
    o.metadata.namespace = namespace;
  } else delete o.metadata.namespace;
  if (name !== undefined) {
    if (o.metadata.name === undefined || o.metadata.name === '') o.metadata.name = name;
    if (o.metadata.name !== name) throw KubeError.badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
  }
  return o;
}

export function hasScale(res: ResourceType): boolean {
  return res.subresources.some((s) => s.name === 'scale');
}

/** autoscaling/v1 Scale of a Deployment/ReplicaSet/StatefulSet, selector as a string. */
export function scaleOf(o: Readonly<KubeObject>): KubeObject {
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  let selector = '';
  try {
    selector = formatLabelSelector(labelSelectorFromObject(isObject(spec.selector) ? (spec.selector as never) : undefined));
  } catch {
    selector = '';
  }
  const m = o.metadata;
  const metadata: KubeObject['metadata'] = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector },
  };
}

/** Reads `gracePeriodSeconds`-like integers that may arrive as strings from a query. */
export function intOrUndefined(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw KubeError.badRequest(`${String(v)} is not an integer`);
  return n;
}

/** Status reset on create for kinds whose status is owned by controllers or the node agent. */
export function initialStatus(o: KubeObject, qos: () => string): void {
  switch (o.kind) {
    case 'Pod':
      o.status = { phase: 'Pending', qosClass: qos() };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet':
    case 'Job':
    case 'CronJob':
      o.status = {};
      break;
    case 'PodDisruptionBudget':
      o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      break;
    case 'Service':
      o.status = { loadBalancer: {} };
      break;
    case 'Namespace':
      o.status = { phase: 'Active' };
      break;
    default:
      storageInitialStatus(o);
      break;
  }
}
