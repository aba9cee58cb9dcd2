import { PodTemplateSpec } from './core.js';
import { DeleteOptions, LabelSelector, ObjectMeta } from './meta.js';
import { many, message, one, ptr } from './schema.js';

// Field tables of the named groups kubectl's typed clients write to (k8s.io/api v0.32
// generated.proto): apps/v1, batch/v1, policy/v1, authentication.k8s.io/v1.

const RollingUpdateDeployment = message('RollingUpdateDeployment', {
  1: ptr('maxUnavailable', 'intOrString'),
  2: ptr('maxSurge', 'intOrString'),
});

export const DeploymentSpec = message('DeploymentSpec', {
  1: ptr('replicas', 'int32'),
  2: one('selector', LabelSelector),
  3: one('template', PodTemplateSpec),
  4: one('strategy', message('DeploymentStrategy', { 1: one('type', 'string'), 2: one('rollingUpdate', RollingUpdateDeployment) })),
  5: one('minReadySeconds', 'int32'),
  6: ptr('revisionHistoryLimit', 'int32'),
  7: one('paused', 'bool'),
  9: ptr('progressDeadlineSeconds', 'int32'),
});

export const Deployment = message('Deployment', {
  1: one('metadata', ObjectMeta),
  2: one('spec', DeploymentSpec),
});

/** podFailurePolicy (11) and successPolicy (16) are not listed (skipped). */
export const JobSpec = message('JobSpec', {
  1: ptr('parallelism', 'int32'),
  2: ptr('completions', 'int32'),
  3: ptr('activeDeadlineSeconds', 'int64'),
  4: one('selector', LabelSelector),
  5: ptr('manualSelector', 'bool'),
  6: one('template', PodTemplateSpec),
  7: ptr('backoffLimit', 'int32'),
  8: ptr('ttlSecondsAfterFinished', 'int32'),
  9: ptr('completionMode', 'string'),
  10: ptr('suspend', 'bool'),
  12: ptr('backoffLimitPerIndex', 'int32'),
  13: ptr('maxFailedIndexes', 'int32'),
  14: ptr('podReplacementPolicy', 'string'),
  15: ptr('managedBy', 'string'),
});

export const Job = message('Job', {
  1: one('metadata', ObjectMeta),
  2: one('spec', JobSpec),
});

export const CronJob = message('CronJob', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('CronJobSpec', {
    1: one('schedule', 'string'),
    2: ptr('startingDeadlineSeconds', 'int64'),
    3: one('concurrencyPolicy', 'string'),
    4: ptr('suspend', 'bool'),
    5: one('jobTemplate', message('JobTemplateSpec', { 1: one('metadata', ObjectMeta), 2: one('spec', JobSpec) })),
    6: ptr('successfulJobsHistoryLimit', 'int32'),
    7: ptr('failedJobsHistoryLimit', 'int32'),
    8: ptr('timeZone', 'string'),
  })),
});

export const Eviction = message('Eviction', {
  1: one('metadata', ObjectMeta),
  2: one('deleteOptions', DeleteOptions),
});

/** `kubectl create poddisruptionbudget` (policy/v1 generated.proto). */
export const PodDisruptionBudget = message('PodDisruptionBudget', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('PodDisruptionBudgetSpec', {
    1: ptr('minAvailable', 'intOrString'),
    2: one('selector', LabelSelector),
    3: ptr('maxUnavailable', 'intOrString'),
    4: ptr('unhealthyPodEvictionPolicy', 'string'),
  })),
});

export const TokenRequest = message('TokenRequest', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('TokenRequestSpec', {
    1: many('audiences', 'string'),
    3: one('boundObjectRef', message('BoundObjectReference', {
      1: one('kind', 'string'),
      2: one('apiVersion', 'string'),
      3: one('name', 'string'),
      4: one('uid', 'string'),
    })),
    4: ptr('expirationSeconds', 'int64'),
  })),
});
