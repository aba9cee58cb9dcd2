import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { accessModesString, bestVolume, defaultClass, mismatch, volumeFitsNode, volumeNodeName } from './binder.js';
import { claimsPreFilter, volumeFilter, type VolumeCaches } from './scheduling.js';

type Json = Record<string, unknown>;

function pv(name: string, storage: string, spec: Json = {}, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels }, spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: `/x/${name}` }, ...spec }, status: { phase: 'Available' } };
}

function pvc(name: string, storage: string, spec: Json = {}, meta: Json = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}`, ...meta }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: '', ...spec }, status: { phase: 'Pending' } };
}

const node = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
const pinned = (n: string) => ({ nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } } });

test('access modes print in kubectl order', () => {
  assert.equal(accessModesString(['ReadWriteMany', 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteOncePod']), 'RWO,ROX,RWX,RWOP');
  assert.equal(accessModesString(undefined), '');
});

test('matching: class, modes, size, selector, volume mode, claimRef, node affinity', () => {
  const c = pvc('c', '1Gi');
  assert.equal(mismatch(c, pv('a', '1Gi')), undefined);
  assert.equal(mismatch(c, pv('a', '512Mi')), 'too small');
  assert.equal(mismatch(c, pv('a', '1Gi', { storageClassName: 'fast' })), 'storage class differs');
  assert.equal(mismatch(pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] }), pv('a', '1Gi')), 'access modes not offered');
  assert.equal(mismatch(pvc('c', '1Gi', { volumeMode: 'Block' }), pv('a', '1Gi')), 'volume mode differs');
  assert.equal(mismatch(pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }), pv('a', '1Gi', {}, { tier: 'silver' })), 'selector does not match');
  assert.equal(mismatch(c, pv('a', '1Gi', { claimRef: { namespace: 'default', name: 'other' } })), 'claimed by another claim');
  assert.equal(mismatch(c, pv('a', '1Gi', pinned('n1')), node('n2')), 'node affinity conflict');
  assert.equal(mismatch(c, pv('a', '1Gi', pinned('n1')), node('n1')), undefined);
  assert.equal(volumeNodeName(pv('a', '1Gi', pinned('n1'))), 'n1');
  assert.ok(volumeFitsNode(pv('a', '1Gi'), node('any')));
});

test('best volume: the smallest that fits; a pre-bound or named volume wins', () => {
  const c = pvc('c', '1Gi');
  const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '100Mi')];
  assert.equal(bestVolume(c, vols)?.metadata.name, 'small');
  const pre = pv('pre', '5Gi', { claimRef: { namespace: 'default', name: 'c', uid: 'uid-c' } });
  assert.equal(bestVolume(c, [...vols, pre])?.metadata.name, 'pre');
  assert.equal(bestVolume(pvc('c', '1Gi', { volumeName: 'big' }), vols)?.metadata.name, 'big');
  assert.equal(bestVolume(pvc('c', '1Gi', { volumeName: 'tiny' }), vols), undefined);
  assert.equal(bestVolume(pvc('c', '20Gi'), vols), undefined);
});

test('default class: the newest one marked default', () => {
  const sc = (name: string, ts: string, def: string): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, creationTimestamp: ts, annotations: { 'storageclass.kubernetes.io/is-default-class': def } } });
  assert.equal(defaultClass([sc('a', '2024-01-01T00:00:00Z', 'true'), sc('b', '2024-02-01T00:00:00Z', 'true'), sc('c', '2024-03-01T00:00:00Z', 'false')])?.metadata.name, 'b');
  assert.equal(defaultClass([sc('c', '2024-03-01T00:00:00Z', 'false')]), undefined);
});

test('scheduling: unbound immediate claims block, WaitForFirstConsumer claims and bound volumes steer nodes', () => {
  const classes: Record<string, KubeObject> = {
    wait: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'wait' }, provisioner: 'stratus.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
    now: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'now' }, provisioner: 'x.io/y', volumeBindingMode: 'Immediate' },
  };
  const claims: Record<string, KubeObject> = {
    later: pvc('later', '1Gi', { storageClassName: 'wait' }),
    chosen: pvc('chosen', '1Gi', { storageClassName: 'wait' }, { annotations: { 'volume.kubernetes.io/selected-node': 'n1' } }),
    pending: pvc('pending', '1Gi', { storageClassName: 'now' }),
    bound: { ...pvc('bound', '1Gi', { volumeName: 'v1' }), status: { phase: 'Bound' } },
  };
  const vols = [pv('v1', '1Gi', pinned('n2'))];
  const caches: VolumeCaches = { claim: (_ns, n) => claims[n], volume: (n) => vols.find((v) => v.metadata.name === n), storageClass: (n) => classes[n], volumes: () => vols };
  const pod = (claim: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: claim } }] } });
  assert.equal(claimsPreFilter(pod('missing'), caches), 'persistentvolumeclaim "missing" not found');
  assert.equal(claimsPreFilter(pod('pending'), caches), 'pod has unbound immediate PersistentVolumeClaims');
  assert.equal(claimsPreFilter(pod('later'), caches), undefined);
  assert.equal(volumeFilter(pod('later'), node('n1'), caches), undefined);
  assert.equal(volumeFilter(pod('chosen'), node('n2'), caches), 'node(s) had volume node affinity conflict');
  assert.equal(volumeFilter(pod('bound'), node('n1'), caches), 'node(s) had volume node affinity conflict');
  assert.equal(volumeFilter(pod('bound'), node('n2'), caches), undefined);
});
