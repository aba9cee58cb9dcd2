import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { validateCrd } from './crd.js';
import { compareVersions, customTypes } from './custom.js';
import { applyDefaults, prune, validateValue, type Schema } from './schema.js';
import { structuralErrors } from './structural.js';

const SPEC: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^\\S+( \\S+){4}$', minLength: 9, maxLength: 20 },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        ratio: { type: 'number', exclusiveMaximum: true, maximum: 1 },
        mode: { type: 'string', enum: ['Fast', 'Slow'] },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        nested: { type: 'object', default: {}, properties: { on: { type: 'boolean', default: true } } },
      },
    },
  },
};

const messages = (v: unknown) => validateValue(SPEC, v).map((c) => `${c.field}: ${c.message}`);

describe('custom resource schema: validation', () => {
  it('accepts a valid object', () => {
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', replicas: 3, port: 'http', tags: ['a'], labels: { a: 'b' }, raw: { x: [1] } } }), []);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', port: 8080 } }), []);
  });

  it('reports types with upstream wording', () => {
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', replicas: 'three' } }), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', replicas: 1.5 } }), ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', port: true } }), ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
    assert.deepEqual(messages({ spec: 'x' }), ['spec: Invalid value: "string": spec in body must be of type object: "string"']);
  });

  it('reports required, enum, bounds, lengths, patterns and items', () => {
    assert.deepEqual(messages({ spec: {} }), ['spec.cronSpec: Required value']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', mode: 'Medium' } }), ['spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', replicas: 15 } }), ['spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', replicas: 0 } }), ['spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', ratio: 1 } }), ['spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * * * * * * * *' } }), ['spec.cronSpec: Too long: may not be more than 20 bytes', `spec.cronSpec: Invalid value: "* * * * * * * * * * *": spec.cronSpec in body should match '^\\S+( \\S+){4}$'`]);
    assert.deepEqual(messages({ spec: { cronSpec: '* *' } }), [
      'spec.cronSpec: Invalid value: "* *": spec.cronSpec in body should be at least 9 chars long',
      `spec.cronSpec: Invalid value: "* *": spec.cronSpec in body should match '^\\S+( \\S+){4}$'`,
    ]);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', tags: ['a', 'b', 'c'] } }), ['spec.tags: Too many: 3: must have at most 2 items']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', tags: [] } }), ['spec.tags: Invalid value: []: spec.tags in body should have at least 1 items']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', tags: ['a', 2] } }), ['spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"']);
    assert.deepEqual(messages({ spec: { cronSpec: '* * * * */5', labels: { a: 1 } } }), ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
  });
});

describe('custom resource schema: pruning and defaults', () => {
  it('prunes undeclared fields, keeps apiVersion/kind/ObjectMeta and preserved subtrees', () => {
    const o = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'a', bogus: 1 }, extra: 1, spec: { cronSpec: 'c', colour: 'blue', labels: { any: 'x' }, raw: { deep: { x: 1 } }, nested: { on: false, off: 1 } } };
    assert.deepEqual(prune(SPEC, o).sort(), ['extra', 'metadata.bogus', 'spec.colour', 'spec.nested.off']);
    assert.deepEqual(o, { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'a' }, spec: { cronSpec: 'c', labels: { any: 'x' }, raw: { deep: { x: 1 } }, nested: { on: false } } });
  });

  it('applies defaults to absent fields, recursively, without overriding', () => {
    const o = { spec: { cronSpec: 'c' } };
    applyDefaults(SPEC, o);
    assert.deepEqual(o, { spec: { cronSpec: 'c', replicas: 1, nested: { on: true } } });
    const p = { spec: { cronSpec: 'c', replicas: 4, nested: { on: false } } };
    applyDefaults(SPEC, p);
    assert.deepEqual(p.spec, { cronSpec: 'c', replicas: 4, nested: { on: false } });
  });
});

describe('CRD schemas and definitions', () => {
  it('requires structural schemas', () => {
    const warnings: string[] = [];
    const errs = structuralErrors({ type: 'object', properties: { spec: { properties: { a: { type: 'array' } } }, s: { type: 'string', pattern: '(' } }, 'x-kubernetes-validations': [{ rule: 'true' }] }, 'v', warnings);
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.message.split(':')[0]}`),
      ['v.properties[spec].type: Required value', 'v.properties[spec].properties[a].items: Required value', 'v.properties[s].pattern: Invalid value'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /CEL validation rules are not evaluated/);
    assert.deepEqual(structuralErrors({ properties: {} }, 'v', []).map((e) => e.field), ['v.type']);
  });

  const CRDS = findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const crd = (spec: Record<string, unknown>, name = 'widgets.example.com'): KubeObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec });
  const good = () => ({
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: SPEC }, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } },
    ],
  });

  it('accepts a valid CRD and serves each version, preferred first', () => {
    assert.deepEqual(validateCrd(CRDS, crd(good())), []);
    const types = customTypes(crd(good()), () => false);
    assert.deepEqual(types.map((t) => `${t.group}/${t.version}/${t.resource}:${t.subresources.map((s) => s.name).join('+')}`), ['example.com/v1/widgets:status+scale', 'example.com/v1beta1/widgets:']);
    assert.ok(types[0]!.hasStatus && types[0]!.custom?.scale && !types[1]!.hasStatus);
    assert.deepEqual(['v1alpha1', 'v2', 'foo', 'v1beta2', 'v1', 'v1beta1'].sort(compareVersions), ['v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
  });

  it('rejects bad definitions with field causes', () => {
    const spec = good();
    spec.group = 'example';
    spec.scope = 'Global';
    spec.versions[0]!.storage = true;
    (spec.versions[1] as Record<string, unknown>).schema = {};
    try {
      validateCrd(CRDS, crd(spec));
      assert.fail('expected 422');
    } catch (e) {
      assert.ok(e instanceof KubeError && e.code === 422);
      const fields = (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
      assert.deepEqual(fields, [
        'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        'spec.versions: Invalid value: ["v1beta1","v1"]: must have exactly one version marked as storage version',
        'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
      ]);
      assert.match(e.message, /^CustomResourceDefinition "widgets.example.com" is invalid: \[/);
    }
  });

  it('hooks: prune+default+validate as one admission, with strict and warn modes', () => {
    const [v1] = customTypes(crd(good()), () => false);
    const obj = (): KubeObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec: { cronSpec: '* * * * */5', colour: 'x' } });
    assert.throws(() => v1!.custom!.admit(obj(), undefined, { fieldValidation: 'Strict' }), /Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"/);
    const o = obj();
    assert.deepEqual(v1!.custom!.admit(o, undefined, { fieldValidation: 'Warn' }), ['unknown field "spec.colour"']);
    assert.deepEqual(o.spec, { cronSpec: '* * * * */5', replicas: 1, nested: { on: true } });
    const bad = obj();
    (bad.spec as Record<string, unknown>).replicas = 'x';
    assert.throws(() => v1!.custom!.admit(bad, undefined, {}), (e: unknown) => e instanceof KubeError && e.code === 422 && /^Widget.example.com "w" is invalid: spec.replicas: Invalid value: "string"/.test(e.message));
    const terminating = customTypes(crd(good()), () => true)[0]!;
    assert.throws(() => terminating.custom!.admit(obj(), undefined, {}), (e: unknown) => e instanceof KubeError && e.code === 405);
  });
});
