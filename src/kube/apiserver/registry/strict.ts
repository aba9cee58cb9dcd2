import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { isObject } from './util.js';

const COMMON = ['apiVersion', 'kind', 'metadata'];
const SPEC_STATUS = ['spec', 'status'];

/** Top-level fields of each kind besides apiVersion/kind/metadata (`kind` of the resource table). */
const TOP_LEVEL: Record<string, string[]> = {
  'v1/Namespace': SPEC_STATUS,
  'v1/Node': SPEC_STATUS,
  'v1/Pod': SPEC_STATUS,
  'v1/Service': SPEC_STATUS,
  'v1/Endpoints': ['subsets'],
  'v1/Event': ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
  'v1/ConfigMap': ['data', 'binaryData', 'immutable'],
  'v1/Secret': ['data', 'stringData', 'type', 'immutable'],
  'v1/ServiceAccount': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  'apps/v1/Deployment': SPEC_STATUS,
  'apps/v1/ReplicaSet': SPEC_STATUS,
  'apps/v1/DaemonSet': SPEC_STATUS,
  'apps/v1/StatefulSet': SPEC_STATUS,
  'apps/v1/ControllerRevision': ['data', 'revision'],
  'batch/v1/Job': SPEC_STATUS,
  'discovery.k8s.io/v1/EndpointSlice': ['addressType', 'endpoints', 'ports'],
  'coordination.k8s.io/v1/Lease': ['spec'],
  'storage.k8s.io/v1/StorageClass': ['provisioner', 'parameters', 'reclaimPolicy', 'mountOptions', 'allowVolumeExpansion', 'volumeBindingMode', 'allowedTopologies'],
  'v1/LimitRange': ['spec'],
  'rbac.authorization.k8s.io/v1/Role': ['rules'],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ['subjects', 'roleRef'],
  'events.k8s.io/v1/Event': ['eventTime', 'series', 'reportingController', 'reportingInstance', 'action', 'reason', 'regarding', 'related', 'note', 'type', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount'],
};

const META = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

/**
 * `fieldValidation=Strict`: unknown top-level fields and unknown `metadata` fields are a 400,
 * worded like upstream's strict decoder. Deeper fields are not checked (yet).
 */
export function checkStrict(res: ResourceType, body: Record<string, unknown>): void {
  const gv = res.group ? `${res.group}/${res.version}` : res.version;
  const allowed = new Set([...COMMON, ...(TOP_LEVEL[`${gv}/${res.kind}`] ?? SPEC_STATUS)]);
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (isObject(body.metadata)) for (const k of Object.keys(body.metadata)) if (!META.includes(k)) unknown.push(`metadata.${k}`);
  if (unknown.length) throw KubeError.badRequest(`strict decoding error: ${unknown.map((k) => `unknown field "${k}"`).join(', ')}`);
}
