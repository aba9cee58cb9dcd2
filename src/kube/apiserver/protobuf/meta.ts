import { many, map, message, one, ptr } from './schema.js';

// Field tables of k8s.io/apimachinery/pkg/apis/meta/v1 (generated.proto, v0.32).

export const OwnerReference = message('OwnerReference', {
  1: one('kind', 'string'),
  3: one('name', 'string'),
  4: one('uid', 'string'),
  5: one('apiVersion', 'string'),
  6: ptr('controller', 'bool'),
  7: ptr('blockOwnerDeletion', 'bool'),
});

/** managedFields (17) is left out: the server keeps its own field ownership. */
export const ObjectMeta = message('ObjectMeta', {
  1: one('name', 'string'),
  2: one('generateName', 'string'),
  3: one('namespace', 'string'),
  4: one('selfLink', 'string'),
  5: one('uid', 'string'),
  6: one('resourceVersion', 'string'),
  7: one('generation', 'int64'),
  8: one('creationTimestamp', 'time'),
  9: one('deletionTimestamp', 'time'),
  10: ptr('deletionGracePeriodSeconds', 'int64'),
  11: map('labels', 'string'),
  12: map('annotations', 'string'),
  13: many('ownerReferences', OwnerReference),
  14: many('finalizers', 'string'),
});

export const LabelSelectorRequirement = message('LabelSelectorRequirement', {
  1: one('key', 'string'),
  2: one('operator', 'string'),
  3: many('values', 'string'),
});

export const LabelSelector = message('LabelSelector', {
  1: map('matchLabels', 'string'),
  2: many('matchExpressions', LabelSelectorRequirement),
});

export const Preconditions = message('Preconditions', {
  1: ptr('uid', 'string'),
  2: ptr('resourceVersion', 'string'),
});

export const DeleteOptions = message('DeleteOptions', {
  1: ptr('gracePeriodSeconds', 'int64'),
  2: one('preconditions', Preconditions),
  3: ptr('orphanDependents', 'bool'),
  4: ptr('propagationPolicy', 'string'),
  5: many('dryRun', 'string'),
  6: ptr('ignoreStoreReadErrorWithClusterBreakingPotential', 'bool'),
});
