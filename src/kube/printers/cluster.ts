import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, arr, column, int, obj, objs, orNone, since, str } from './format.js';
import type { Printer } from './index.js';

/** Printers of nodes, namespaces, events and the small config kinds (reference §2.10). */

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** Roles from `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` value, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

/** `Ready`, `NotReady` or `Unknown` (no Ready condition), plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: KubeObject): string {
  const ready = objs(obj(node.status).conditions).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (obj(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  return orNone(str(objs(obj(node.status).addresses).find((a) => a.type === type)?.address));
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node.'),
    column('Roles', 'string', 'The roles of the node.'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet version reported by the node.'),
    column('Internal-IP', 'string', "The node's internal IP address.", 1),
    column('External-IP', 'string', "The node's external IP address.", 1),
    column('OS-Image', 'string', 'OS image reported by the node from /etc/os-release.', 1),
    column('Kernel-Version', 'string', "Kernel version reported by the node from 'uname -r'.", 1),
    column('Container-Runtime', 'string', 'Container runtime version reported by the node.', 1),
  ],
  cells: (o, now) => {
    const info = obj(obj(o.status).nodeInfo);
    return [
      str(o.metadata.name),
      nodeStatus(o),
      orNone(nodeRoles(o.metadata.labels).join(',')),
      since(o.metadata.creationTimestamp, now),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      orNone(str(info.osImage), '<unknown>'),
      orNone(str(info.kernelVersion), '<unknown>'),
      orNone(str(info.containerRuntimeVersion), '<unknown>'),
    ];
  },
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace.'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), str(obj(o.status).phase), since(o.metadata.creationTimestamp, now)],
};

/**
 * Events of both APIs: core/v1 (`involvedObject`, `message`, `source`, `count`, first/last
 * timestamps) and events.k8s.io/v1 (`regarding`, `note`, `deprecated*`, `series`), printed
 * with the same columns in kubectl's order: Last Seen, Type, Reason, Object, Subobject*,
 * Source*, Message, First Seen*, Count*, Name* (* wide only).
 */
export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning).'),
    column('Reason', 'string', 'Short, machine understandable reason for the transition into the object’s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'The field of the object the event is about (e.g. spec.containers{app}).', 1),
    column('Source', 'string', 'The component reporting this event.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded.', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells: (o, now) => {
    const v1 = o.involvedObject !== undefined || o.apiVersion === 'v1';
    const target = obj(v1 ? o.involvedObject : o.regarding);
    const source = obj(v1 ? o.source : o.deprecatedSource);
    const firstTs = str(v1 ? o.firstTimestamp : o.deprecatedFirstTimestamp);
    const lastTs = str(v1 ? o.lastTimestamp : o.deprecatedLastTimestamp);
    const first = firstTs ? since(firstTs, now) : since(o.eventTime, now);
    let last = lastTs ? since(lastTs, now) : first;
    let count = int(v1 ? o.count : o.deprecatedCount);
    const series = o.series === undefined || o.series === null ? undefined : obj(o.series);
    if (series) {
      last = since(series.lastObservedTime, now);
      count = int(series.count);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(target.kind).toLowerCase();
    const object = str(target.name) ? `${kind}/${str(target.name)}` : kind;
    const component = str(source.component) || str(o.reportingController) || str(o.reportingComponent);
    const instance = str(source.host) || str(o.reportingInstance);
    return [
      last,
      str(o.type),
      str(o.reason),
      object,
      str(target.fieldPath),
      instance ? `${component}, ${instance}` : component,
      str(v1 ? o.message : o.note).trim(),
      first,
      count,
      str(o.metadata.name),
    ];
  },
};

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'integer', 'Number of entries in data and binaryData.'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, since(o.metadata.creationTimestamp, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, column('Type', 'string', 'The type of the secret.'), column('Data', 'integer', 'Number of entries in data.'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), str(o.type), Object.keys(obj(o.data)).length, since(o.metadata.creationTimestamp, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'integer', 'Number of secrets listed by the service account.'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), arr(o.secrets).length, since(o.metadata.creationTimestamp, now)],
};

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'The holder of the lease.'), AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), str(obj(o.spec).holderIdentity), since(o.metadata.creationTimestamp, now)],
};

export const genericPrinter: Printer = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (o, now) => [str(o.metadata.name), since(o.metadata.creationTimestamp, now)],
};
