import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomHooks } from '../apiextensions/hooks.js';
import { customPrinter } from './custom.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';

const hooks = (printerColumns: CustomHooks['printerColumns']): CustomHooks =>
  ({ crd: 'x', schema: {}, printerColumns, admit: () => [], generationChanged: () => false, checkFieldSelector: () => undefined }) as CustomHooks;

describe('custom resource tables', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');
  const obj = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', creationTimestamp: '2025-01-01T00:00:00Z', labels: { 'app.kubernetes.io/name': 'web' } },
    spec: { replicas: 3, tags: ['a', 'b'] },
    status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };

  it('prints NAME and AGE without printer columns', () => {
    const p = customPrinter(hooks([]));
    assert.deepEqual(p.columns.map((c) => c.name), ['Name', 'Age']);
    assert.deepEqual(p.cells(obj, now), ['w', '10m']);
  });

  it('prints additionalPrinterColumns through JSONPath, dates as ages, priorities kept', () => {
    const p = customPrinter(
      hooks([
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'App', type: 'string', jsonPath: '.metadata.labels.app\\.kubernetes\\.io/name', priority: 1 },
        { name: 'Tags', type: 'string', jsonPath: '.spec.tags[*]' },
        { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
        { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ]),
    );
    assert.deepEqual(p.columns.map((c) => `${c.name}/${c.type}/${c.priority}`), ['Name/string/0', 'Replicas/integer/0', 'Ready/string/0', 'App/string/1', 'Tags/string/0', 'Missing/string/0', 'Created/date/0']);
    assert.deepEqual(p.cells(obj, now), ['w', 3, 'True', 'web', 'a,b', null, '10m']);
  });

  it('parses the JSONPath subset and rejects the rest', () => {
    assert.deepEqual(evalJsonPath(parseJsonPath('.status.conditions[0].type'), obj), ['Synced']);
    assert.deepEqual(evalJsonPath(parseJsonPath('.spec.tags[-1]'), obj), ['b']);
    assert.throws(() => parseJsonPath('.a[?(@.x > 1)]'), /unsupported expression/);
  });
});
