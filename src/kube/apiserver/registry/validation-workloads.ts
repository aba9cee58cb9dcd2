import { parseSchedule, validTimeZone } from '../../../core/cron.js';
import { labelSelectorFromObject } from '../../selectors.js';
import type { KubeObject } from '../../types.js';
import { isObject, jsonEquals, type Causes, type Json } from './util.js';
import { validatePodSpec } from './validation.js';

/** Validation of apps/v1 StatefulSet specifics, batch/v1 CronJob and policy/v1 PodDisruptionBudget (upstream wording). */

/** Spec fields of a StatefulSet that may change after creation. */
const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'];

export function validateStatefulSet(spec: Json, old: Json | undefined, c: Causes): void {
  const policy = spec.podManagementPolicy;
  if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') c.notSupported('spec.podManagementPolicy', policy, ['OrderedReady', 'Parallel']);
  const strategy = isObject(spec.updateStrategy) ? spec.updateStrategy : {};
  if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') c.notSupported('spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate']);
  if (strategy.type === 'OnDelete' && isObject(strategy.rollingUpdate)) c.invalid('spec.updateStrategy.rollingUpdate', strategy.rollingUpdate, 'only allowed for updateStrategy \'RollingUpdate\'');
  const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  if (ru.partition !== undefined && (typeof ru.partition !== 'number' || !Number.isInteger(ru.partition) || ru.partition < 0)) c.invalid('spec.updateStrategy.rollingUpdate.partition', ru.partition, 'must be greater than or equal to 0');
  intOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', c);
  if (ru.maxUnavailable === 0 || ru.maxUnavailable === '0%') c.invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must be greater than 0');
  const retention = isObject(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : {};
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = retention[f];
    if (v !== undefined && v !== 'Retain' && v !== 'Delete') c.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ['Retain', 'Delete']);
  }
  const claims = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  claims.forEach((t, i) => {
    const name = isObject(t) && isObject(t.metadata) ? t.metadata.name : undefined;
    if (typeof name !== 'string' || name === '') c.required(`spec.volumeClaimTemplates[${i}].metadata.name`);
  });
  if (old) {
    const changed = Object.keys({ ...old, ...spec }).filter((k) => !STS_MUTABLE.includes(k) && !jsonEquals(spec[k] ?? null, old[k] ?? null));
    if (changed.length) {
      c.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    }
  }
}

/** Job names `<cronjob>-<minutes>` must stay within 63 characters: upstream's limit of 52. */
const CRONJOB_NAME_MAX = 52;

export function validateCronJob(o: KubeObject, spec: Json, c: Causes): void {
  const name = o.metadata.name ?? '';
  if (name.length > CRONJOB_NAME_MAX) c.invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`);
  const schedule = spec.schedule;
  if (schedule === undefined || schedule === '') c.required('spec.schedule');
  else if (typeof schedule !== 'string') c.invalid('spec.schedule', schedule, 'must be a string');
  else if (/(^|\s)(CRON_)?TZ=/.test(schedule)) c.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  else {
    try {
      parseSchedule(schedule);
    } catch (err) {
      c.invalid('spec.schedule', schedule, (err as Error).message);
    }
  }
  const tz = spec.timeZone;
  if (tz !== undefined && tz !== null) {
    if (typeof tz !== 'string' || tz === '') c.invalid('spec.timeZone', tz, 'timeZone must be nil or non-empty string');
    else if (tz.toLowerCase() === 'local') c.invalid('spec.timeZone', tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
    else if (!validTimeZone(tz)) c.invalid('spec.timeZone', tz, `unknown time zone ${tz}`);
  }
  const policy = spec.concurrencyPolicy;
  if (policy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(String(policy))) c.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']);
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    const v = spec[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) c.invalid(`spec.${f}`, v, 'must be an integer');
    else if (v < 0) c.invalid(`spec.${f}`, v, 'must be greater than or equal to 0');
  }
  if (spec.suspend !== undefined && typeof spec.suspend !== 'boolean') c.invalid('spec.suspend', spec.suspend, 'must be a boolean');
  const jt = isObject(spec.jobTemplate) ? spec.jobTemplate : undefined;
  const jspec = isObject(jt?.spec) ? jt.spec : undefined;
  const template = isObject(jspec?.template) ? jspec.template : undefined;
  const pspec = isObject(template?.spec) ? template.spec : undefined;
  if (!pspec) {
    c.required('spec.jobTemplate.spec.template.spec');
    return;
  }
  validatePodSpec(pspec, 'spec.jobTemplate.spec.template.spec', c);
  const rp = pspec.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') c.notSupported('spec.jobTemplate.spec.template.spec.restartPolicy', rp ?? '', ['OnFailure', 'Never']);
}

export function validatePodDisruptionBudget(spec: Json, c: Causes): void {
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined && spec.minAvailable !== null && spec.maxUnavailable !== null) {
    c.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set');
  }
  for (const f of ['minAvailable', 'maxUnavailable']) intOrPercent(spec[f], `spec.${f}`, c);
  if (spec.selector !== undefined && spec.selector !== null) {
    if (!isObject(spec.selector)) c.invalid('spec.selector', spec.selector, 'must be a label selector');
    else {
      try {
        labelSelectorFromObject(spec.selector as never);
      } catch (err) {
        c.invalid('spec.selector', spec.selector, (err as Error).message);
      }
    }
  }
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== null && !['IfHealthyBudget', 'AlwaysAllow'].includes(String(policy))) {
    c.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']);
  }
}

function intOrPercent(v: unknown, field: string, c: Causes): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) c.invalid(field, v, 'must be an integer');
    else if (v < 0) c.invalid(field, v, 'must be greater than or equal to 0');
    return;
  }
  if (typeof v !== 'string' || !/^[0-9]+%$/.test(v)) {
    c.invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')");
    return;
  }
  if (Number(v.slice(0, -1)) > 100) c.invalid(field, v, 'must not be greater than 100%');
}
