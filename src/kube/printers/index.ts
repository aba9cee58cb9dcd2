import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import {
  configMapPrinter,
  eventPrinter,
  genericPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './cluster.js';
import { since } from './format.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './network.js';
import { podPrinter } from './pods.js';
import { crdPrinter, customPrinter } from './custom.js';
import { limitRangePrinter, persistentVolumeClaimPrinter, persistentVolumePrinter, resourceQuotaPrinter, storageClassPrinter } from './storage.js';
import { cronJobPrinter, podDisruptionBudgetPrinter } from './policy.js';
import { roleBindingPrinter, rolePrinter } from './rbac.js';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from './workloads.js';

/**
 * Server-side printing (reference §2.10): `kubectl get` asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the columns it gets back, dropping
 * `priority: 1` columns unless `-o wide`. Every row carries all cells (wide included), in
 * column order. `row.object` is what `-A` (namespace) and `--show-labels` read.
 */

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

/** One resource's columns and how to compute a row's cells (`now` in epoch ms). */
export interface Printer {
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): unknown[];
}

const PRINTERS: Readonly<Record<string, Printer>> = {
  '/pods': podPrinter,
  '/services': servicePrinter,
  '/nodes': nodePrinter,
  '/endpoints': endpointsPrinter,
  '/namespaces': namespacePrinter,
  '/events': eventPrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/persistentvolumes': persistentVolumePrinter,
  '/persistentvolumeclaims': persistentVolumeClaimPrinter,
  '/resourcequotas': resourceQuotaPrinter,
  '/limitranges': limitRangePrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'batch/jobs': jobPrinter,
  'batch/cronjobs': cronJobPrinter,
  'policy/poddisruptionbudgets': podDisruptionBudgetPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'events.k8s.io/events': eventPrinter,
  'apiextensions.k8s.io/customresourcedefinitions': crdPrinter,
  'rbac.authorization.k8s.io/roles': rolePrinter,
  'rbac.authorization.k8s.io/clusterroles': rolePrinter,
  'rbac.authorization.k8s.io/rolebindings': roleBindingPrinter,
  'rbac.authorization.k8s.io/clusterrolebindings': roleBindingPrinter,
};

/** The printer of a resource; Name + Age for anything without its own. */
export function printerFor(res: ResourceType): Printer {
  if (res.custom) return customPrinter(res.custom);
  return PRINTERS[`${res.group}/${res.resource}`] ?? genericPrinter;
}

/** Time since `fromIso` as kubectl prints ages: `45s`, `5m30s`, `3h`, `2d4h`… (`<unknown>` if unset). */
export function formatAge(fromIso: string | undefined, now: number): string {
  return since(fromIso, now);
}

/**
 * Renders objects as a meta.k8s.io/v1 Table. `includeObject` defaults to `Metadata`
 * (PartialObjectMetadata rows); `Object` embeds each full object, `None` omits it. A watch
 * event's Table is `toTable(res, [obj], …)`. Pure: `now` defaults to the current time.
 */
export function toTable(
  res: ResourceType,
  objects: KubeObject[],
  opts: { includeObject?: 'None' | 'Metadata' | 'Object'; resourceVersion: string; now?: number; continue?: string },
): Table {
  const printer = printerFor(res);
  const now = opts.now ?? Date.now();
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((o): TableRow => {
    const row: TableRow = { cells: printer.cells(o, now) };
    if (include === 'Object') row.object = structuredClone(o);
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: structuredClone(o.metadata) };
    return row;
  });
  const metadata: Table['metadata'] = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: printer.columns.map((c) => ({ ...c })), rows };
}
