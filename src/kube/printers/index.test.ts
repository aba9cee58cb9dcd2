import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOURCES, findResource, type ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import { formatAge, printerFor, toTable } from './index.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const pods = findResource('', 'v1', 'pods')!;

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '42', labels: { app: 'web' }, creationTimestamp: '2026-01-01T11:55:00Z' },
  spec: { containers: [{ name: 'app', image: 'nginx' }], nodeName: 'n1' },
  status: { phase: 'Running', podIPs: [{ ip: '10.244.0.9' }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }] },
};

describe('toTable', () => {
  it('renders a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const t = toTable(pods, [pod], { resourceVersion: '50', now: NOW });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '50' });
    assert.deepEqual(t.columnDefinitions[0], { name: 'Name', type: 'string', format: 'name', description: t.columnDefinitions[0]!.description, priority: 0 });
    assert.ok(t.columnDefinitions.every((c) => typeof c.description === 'string' && c.description.length > 0));
    assert.deepEqual(t.rows, [
      {
        cells: ['web', '1/1', 'Running', '0', '5m', '10.244.0.9', 'n1', '<none>', '<none>'],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata },
      },
    ]);
    assert.notEqual((t.rows[0]!.object as KubeObject).metadata, pod.metadata, 'metadata is copied');
  });

  it('honours includeObject Object and None, and carries continue', () => {
    const full = toTable(pods, [pod], { resourceVersion: '1', now: NOW, includeObject: 'Object', continue: 'tok' });
    assert.deepEqual(full.rows[0]!.object, pod);
    assert.equal(full.metadata.continue, 'tok');
    const none = toTable(pods, [pod], { resourceVersion: '1', now: NOW, includeObject: 'None' });
    assert.ok(!('object' in none.rows[0]!));
    const empty = toTable(pods, [], { resourceVersion: '7' });
    assert.deepEqual(empty.rows, []);
    assert.equal(empty.columnDefinitions.length, 9);
  });

  it('every served resource has a printer whose rows match its columns', () => {
    const served = RESOURCES.map((r: ResourceType) => `${r.group || 'core'}/${r.resource}:${printerFor(r).columns.length}`);
    assert.ok(served.every((s) => !s.endsWith(':0')), served.join(' '));
    for (const res of RESOURCES) {
      const bare: KubeObject = { apiVersion: res.group ? `${res.group}/${res.version}` : res.version, kind: res.kind, metadata: { name: 'x', creationTimestamp: '2026-01-01T11:00:00Z' } };
      const t = toTable(res, [bare], { resourceVersion: '1', now: NOW });
      assert.equal(t.rows[0]!.cells.length, t.columnDefinitions.length, `${res.resource}: one cell per column even for a bare object`);
    }
    for (const res of RESOURCES) {
      const junk = { apiVersion: 'v1', kind: res.kind, metadata: { name: 'j', labels: 'x', ownerReferences: 'y', creationTimestamp: 5 }, spec: 'x', status: { conditions: 'c', containerStatuses: [null, 1, 'a'], initContainerStatuses: {} }, subsets: [null], endpoints: 'e', data: [1], involvedObject: 5 } as unknown as KubeObject;
      const t = toTable(res, [junk], { resourceVersion: '1', now: NOW });
      assert.equal(t.rows[0]!.cells.length, t.columnDefinitions.length, `${res.resource}: malformed objects still print`);
    }
    const unknown: ResourceType = { ...pods, group: 'example.com', resource: 'widgets', kind: 'Widget' };
    assert.deepEqual(printerFor(unknown).columns.map((c) => c.name), ['Name', 'Age']);
  });
});

describe('formatAge (kubectl HumanDuration)', () => {
  it('prints seconds, minutes, hours, days and years as kubectl does', () => {
    const at = (s: number) => formatAge(new Date(NOW - s * 1000).toISOString(), NOW);
    const cases: [number, string][] = [
      [0, '0s'], [45, '45s'], [119, '119s'], [120, '2m'], [150, '2m30s'], [599, '9m59s'], [600, '10m'],
      [179 * 60, '179m'], [3 * 3600, '3h'], [3 * 3600 + 20 * 60, '3h20m'], [8 * 3600 + 59 * 60, '8h'],
      [47 * 3600, '47h'], [2 * 86400, '2d'], [3 * 86400 + 4 * 3600, '3d4h'], [8 * 86400 + 5 * 3600, '8d'],
      [400 * 86400, '400d'], [2 * 365 * 86400, '2y'], [3 * 365 * 86400 + 45 * 86400, '3y45d'], [9 * 365 * 86400 + 5 * 86400, '9y'],
    ];
    for (const [s, want] of cases) assert.equal(at(s), want, `${s}s`);
    assert.equal(at(-1), '0s', 'clock skew of a second is now');
    assert.equal(at(-5), '<invalid>');
    assert.equal(formatAge(undefined, NOW), '<unknown>');
    assert.equal(formatAge('not a date', NOW), '<unknown>');
  });
});
