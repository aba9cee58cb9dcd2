/**
 * Strategic-merge metadata of the built-in kinds (reference §2.9): which lists merge
 * element-wise and by which key, which primitive lists are unions, and where the pod template
 * sits in workload kinds. Transcribed as data from the documented `patchStrategy` /
 * `patchMergeKey` tags of k8s.io/api 1.32; a field not described here is a plain map (merged)
 * or an atomic list (replaced whole: `command`, `args`, `tolerations`, `taints`…).
 */

export interface FieldMeta {
  /** A list of objects merged element-wise by this key (`containers` by `name`). */
  mergeKey?: string;
  /** A primitive list merged as a set union (`finalizers`, `podCIDRs`). */
  union?: boolean;
  /** The shape of the field's value, or of each element for lists. */
  type?: TypeSchema;
}

/** The described fields of a struct. */
export type TypeSchema = Readonly<Record<string, FieldMeta>>;

const byName = (type?: TypeSchema): FieldMeta => ({ mergeKey: 'name', type });
const byType: FieldMeta = { mergeKey: 'type' };
const byIp: FieldMeta = { mergeKey: 'ip' };

const OBJECT_META: TypeSchema = {
  ownerReferences: { mergeKey: 'uid' },
  finalizers: { union: true },
};

const CONTAINER: TypeSchema = {
  ports: { mergeKey: 'containerPort' },
  env: byName(),
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};

const POD_SPEC: TypeSchema = {
  containers: byName(CONTAINER),
  initContainers: byName(CONTAINER),
  ephemeralContainers: byName(CONTAINER),
  volumes: byName(),
  imagePullSecrets: byName(),
  hostAliases: byIp,
  topologySpreadConstraints: { mergeKey: 'topologyKey' },
  schedulingGates: byName(),
  resourceClaims: byName(),
};

const POD_STATUS: TypeSchema = {
  conditions: byType,
  podIPs: byIp,
  hostIPs: byIp,
};

const POD_TEMPLATE: TypeSchema = { metadata: { type: OBJECT_META }, spec: { type: POD_SPEC } };

const CONDITIONS_STATUS: TypeSchema = { conditions: byType };

function kind(spec: TypeSchema = {}, status: TypeSchema = CONDITIONS_STATUS, extra: TypeSchema = {}): TypeSchema {
  return { metadata: { type: OBJECT_META }, spec: { type: spec }, status: { type: status }, ...extra };
}

const WORKLOAD = kind({ template: { type: POD_TEMPLATE } });

/** Root schemas by `group/kind` (core group: `/Kind`). */
const KINDS: Readonly<Record<string, TypeSchema>> = {
  '/Pod': kind(POD_SPEC, POD_STATUS),
  '/PodTemplate': kind({}, {}, { template: { type: POD_TEMPLATE } }),
  '/ReplicationController': WORKLOAD,
  '/Service': kind({ ports: { mergeKey: 'port' } }),
  '/Node': kind({ podCIDRs: { union: true } }, { conditions: byType, addresses: byType }),
  '/Namespace': kind(),
  '/ServiceAccount': { metadata: { type: OBJECT_META }, secrets: byName(), imagePullSecrets: byName() },
  '/PersistentVolumeClaim': kind(),
  'apps/Deployment': kind({ template: { type: POD_TEMPLATE }, strategy: {} }),
  'apps/ReplicaSet': WORKLOAD,
  'apps/DaemonSet': WORKLOAD,
  'apps/StatefulSet': WORKLOAD,
  'batch/Job': WORKLOAD,
  'batch/CronJob': kind({ jobTemplate: { type: { metadata: { type: OBJECT_META }, spec: { type: { template: { type: POD_TEMPLATE } } } } } }),
};

const GENERIC: TypeSchema = { metadata: { type: OBJECT_META } };

/** The schema of a kind's root object; unknown kinds get only the ObjectMeta rules. */
export function schemaOf(k: { group: string; kind: string }): TypeSchema {
  return KINDS[`${k.group}/${k.kind}`] ?? GENERIC;
}
