import { formatLabelSelector, labelSelectorFromObject } from '../selectors.js';
import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, containerCells, formatLabels, hasCondition, humanDuration, int, obj, objs, since, str, type J } from './format.js';
import type { Printer, TableColumn } from './index.js';

/** Printers of the apps/batch workloads (reference §2.10). */

const CONTAINERS = column('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = column('Images', 'string', 'Images referenced by each container in the template.', 1);
const SELECTOR = column('Selector', 'string', 'Label query over pods that should match the replicas count.', 1);

/** The `Selector` cell: a metav1.LabelSelector in its string form. */
export function selectorCell(selector: unknown): string {
  if (selector === undefined || selector === null) return '<none>';
  try {
    return formatLabelSelector(labelSelectorFromObject(obj(selector) as Parameters<typeof labelSelectorFromObject>[0])) || '<none>';
  } catch {
    return '<error>';
  }
}

function templateSpec(spec: Record<string, unknown>): unknown {
  return obj(spec.template).spec;
}

/**
 * A workload printer: Name, the kind's own columns, Age, then the template's Containers and
 * Images and the Selector (all three wide). `own` gives the own columns' cells.
 */
function workloadPrinter(own: TableColumn[], ownCells: (spec: J, status: J, o: KubeObject, now: number) => unknown[]): Printer {
  return {
    columns: [NAME_COLUMN, ...own, AGE_COLUMN, CONTAINERS, IMAGES, SELECTOR],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      return [
        str(o.metadata.name),
        ...ownCells(spec, status, o, now),
        since(o.metadata.creationTimestamp, now),
        ...containerCells(templateSpec(spec)),
        selectorCell(spec.selector),
      ];
    },
  };
}

export const deploymentPrinter: Printer = workloadPrinter(
  [
    column('Ready', 'string', 'Number of the pod with ready state.'),
    column('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
  ],
  (spec, status) => [`${int(status.readyReplicas)}/${int(spec.replicas)}`, int(status.updatedReplicas), int(status.availableReplicas)],
);

export const replicaSetPrinter: Printer = workloadPrinter(
  [
    column('Desired', 'integer', 'Number of desired pods.'),
    column('Current', 'integer', 'Number of actual running pods.'),
    column('Ready', 'integer', 'Number of pods ready.'),
  ],
  (spec, status) => [int(spec.replicas), int(status.replicas), int(status.readyReplicas)],
);

export const daemonSetPrinter: Printer = workloadPrinter(
  [
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes that are running at least one daemon pod and are supposed to.'),
    column('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    column('Node Selector', 'string', 'The node selector of the pod template.'),
  ],
  (spec, status) => [
    int(status.desiredNumberScheduled),
    int(status.currentNumberScheduled),
    int(status.numberReady),
    int(status.updatedNumberScheduled),
    int(status.numberAvailable),
    formatLabels(obj(templateSpec(spec)).nodeSelector),
  ],
);

export const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, column('Ready', 'string', 'Number of the pod with ready state.'), AGE_COLUMN, CONTAINERS, IMAGES],
  cells: (o, now) => {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return [str(o.metadata.name), `${int(status.readyReplicas)}/${int(spec.replicas)}`, since(o.metadata.creationTimestamp, now), ...containerCells(templateSpec(spec))];
  },
};

/** Job `Status` cell: terminal conditions first, then Terminating, Suspended, interim ones, Running. */
export function jobStatus(o: { metadata: { deletionTimestamp?: string }; status?: unknown }): string {
  const conditions = obj(o.status).conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(conditions, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export const jobPrinter: Printer = workloadPrinter(
  [
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The desired number of successfully finished pods the job should be run with.'),
    column('Duration', 'string', 'Time required to complete the job.'),
  ],
  (spec, status, o, now) => {
    const succeeded = int(status.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${int(spec.completions)}`;
    else completions = int(spec.parallelism) > 1 ? `${succeeded}/1 of ${int(spec.parallelism)}` : `${succeeded}/1`;
    const start = Date.parse(str(status.startTime));
    const end = Date.parse(str(status.completionTime));
    const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? now : end) - start);
    return [jobStatus(o), completions, duration];
  },
);

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object.'),
    column('Revision', 'number', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const ref = objs(o.metadata.ownerReferences).find((r) => r.controller === true);
    let controller = '<none>';
    if (ref) {
      const apiVersion = str(ref.apiVersion);
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const kind = str(ref.kind);
      controller = kind ? `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}` : str(ref.name);
    }
    return [str(o.metadata.name), controller, int(o.revision), since(o.metadata.creationTimestamp, now)];
  },
};
