import { LabelSelector, ObjectMeta } from './meta.js';
import { many, message, one } from './schema.js';

// Field tables of rbac.authorization.k8s.io/v1, authorization.k8s.io/v1 and the
// authentication.k8s.io/v1 SelfSubjectReview (k8s.io/api v0.32 generated.proto): what
// `kubectl create role|clusterrole|rolebinding|clusterrolebinding`, `kubectl auth can-i` and
// `kubectl auth whoami` send through their typed clients.

const PolicyRule = message('PolicyRule', {
  1: many('verbs', 'string'),
  2: many('apiGroups', 'string'),
  3: many('resources', 'string'),
  4: many('resourceNames', 'string'),
  5: many('nonResourceURLs', 'string'),
});

const Subject = message('Subject', {
  1: one('kind', 'string'),
  2: one('apiGroup', 'string'),
  3: one('name', 'string'),
  4: one('namespace', 'string'),
});

const RoleRef = message('RoleRef', {
  1: one('apiGroup', 'string'),
  2: one('kind', 'string'),
  3: one('name', 'string'),
});

export const Role = message('Role', {
  1: one('metadata', ObjectMeta),
  2: many('rules', PolicyRule),
});

export const ClusterRole = message('ClusterRole', {
  1: one('metadata', ObjectMeta),
  2: many('rules', PolicyRule),
  3: one('aggregationRule', message('AggregationRule', { 1: many('clusterRoleSelectors', LabelSelector) })),
});

export const RoleBinding = message('RoleBinding', {
  1: one('metadata', ObjectMeta),
  2: many('subjects', Subject),
  3: one('roleRef', RoleRef),
});

export const ClusterRoleBinding = message('ClusterRoleBinding', {
  1: one('metadata', ObjectMeta),
  2: many('subjects', Subject),
  3: one('roleRef', RoleRef),
});

const ResourceAttributes = message('ResourceAttributes', {
  1: one('namespace', 'string'),
  2: one('verb', 'string'),
  3: one('group', 'string'),
  4: one('version', 'string'),
  5: one('resource', 'string'),
  6: one('subresource', 'string'),
  7: one('name', 'string'),
});

const NonResourceAttributes = message('NonResourceAttributes', {
  1: one('path', 'string'),
  2: one('verb', 'string'),
});

/** `extra` (5, map of ExtraValue) is not listed: this server keeps no extra user attributes. */
const SubjectAccessReviewSpec = message('SubjectAccessReviewSpec', {
  1: one('resourceAttributes', ResourceAttributes),
  2: one('nonResourceAttributes', NonResourceAttributes),
  3: one('user', 'string'),
  4: many('groups', 'string'),
  6: one('uid', 'string'),
});

export const SelfSubjectAccessReview = message('SelfSubjectAccessReview', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('SelfSubjectAccessReviewSpec', { 1: one('resourceAttributes', ResourceAttributes), 2: one('nonResourceAttributes', NonResourceAttributes) })),
});

export const SubjectAccessReview = message('SubjectAccessReview', {
  1: one('metadata', ObjectMeta),
  2: one('spec', SubjectAccessReviewSpec),
});

export const LocalSubjectAccessReview = message('LocalSubjectAccessReview', {
  1: one('metadata', ObjectMeta),
  2: one('spec', SubjectAccessReviewSpec),
});

export const SelfSubjectRulesReview = message('SelfSubjectRulesReview', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('SelfSubjectRulesReviewSpec', { 1: one('namespace', 'string') })),
});

/** The request carries only metadata; status (2) is the server's answer. */
export const SelfSubjectReview = message('SelfSubjectReview', {
  1: one('metadata', ObjectMeta),
});
