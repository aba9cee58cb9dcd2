import { AGE_COLUMN, NAME_COLUMN, column, containerCells, int, obj, since, str } from './format.js';
import type { Printer } from './index.js';
import { selectorCell } from './workloads.js';

/** Printers of batch/v1 CronJob and policy/v1 PodDisruptionBudget (reference §2.10). */

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'date', 'Information when was the last time the job was successfully scheduled.'),
    { ...AGE_COLUMN, type: 'date' },
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells: (o, now) => {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    const active = Array.isArray(status.active) ? status.active.length : 0;
    const last = status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>';
    const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
    return [
      str(o.metadata.name),
      str(spec.schedule),
      str(spec.timeZone) || '<none>',
      suspend,
      active,
      last,
      since(o.metadata.creationTimestamp, now),
      ...containerCells(obj(jobSpec.template).spec),
      selectorCell(jobSpec.selector),
    ];
  },
};

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const spec = obj(o.spec);
    const intOrString = (v: unknown) => (v === undefined || v === null ? 'N/A' : str(v));
    return [str(o.metadata.name), intOrString(spec.minAvailable), intOrString(spec.maxUnavailable), int(obj(o.status).disruptionsAllowed), since(o.metadata.creationTimestamp, now)];
  },
};
