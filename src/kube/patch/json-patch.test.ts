import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from '../errors.js';
import { jsonMergePatch } from './json-merge.js';
import { jsonPatch } from './json-patch.js';

function assertKubeError(fn: () => unknown, code: number, includes?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KubeError, `expected KubeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (includes) assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

describe('JSON merge patch (RFC 7386)', () => {
  it('passes the RFC appendix cases', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, expected] of cases) assert.deepEqual(jsonMergePatch(target, patch), expected, JSON.stringify({ target, patch }));
  });

  it('never mutates its inputs and cannot be tricked by __proto__', () => {
    const target = { metadata: { labels: { a: '1' } } };
    const patch = JSON.parse('{"metadata":{"labels":{"b":"2"}},"__proto__":{"polluted":true}}');
    const out = jsonMergePatch(target, patch) as Record<string, unknown>;
    assert.deepEqual(target, { metadata: { labels: { a: '1' } } });
    assert.deepEqual((out.metadata as Record<string, unknown>).labels, { a: '1', b: '2' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'));
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('adds, removes, replaces, moves, copies and tests', () => {
    const doc = { metadata: { labels: { a: '1' } }, spec: { list: ['x', 'z'], replicas: 1 } };
    const out = jsonPatch(doc, [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/1', value: 'y' },
      { op: 'add', path: '/spec/list/-', value: 'end' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'copy', from: '/metadata/labels', path: '/metadata/annotations' },
      { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/c' },
    ]);
    assert.deepEqual(out, { metadata: { labels: { b: '2', c: '1' }, annotations: { a: '1', b: '2' } }, spec: { list: ['y', 'z', 'end'], replicas: 3 } });
    assert.deepEqual(doc, { metadata: { labels: { a: '1' } }, spec: { list: ['x', 'z'], replicas: 1 } }, 'input untouched');
  });

  it('unescapes ~1 and ~0 in pointers (annotation keys with slashes)', () => {
    const doc = { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 't0', 'a~b': 'x' } } };
    const out = jsonPatch(doc, [
      { op: 'replace', path: '/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: 't1' },
      { op: 'remove', path: '/metadata/annotations/a~0b' },
    ]);
    assert.deepEqual(out, { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 't1' } } });
  });

  it('replaces or adds the whole document with the empty pointer', () => {
    assert.deepEqual(jsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
    assert.deepEqual(jsonPatch({ a: 1 }, []), { a: 1 });
    assert.deepEqual(jsonPatch({ a: { b: 1 } }, [{ op: 'test', path: '/a', value: { b: 1 } }]), { a: { b: 1 } });
  });

  it('answers 400 for bodies that are not operation lists', () => {
    assertKubeError(() => jsonPatch({}, { op: 'add' }), 400, 'JSON array');
    assertKubeError(() => jsonPatch({}, ['add']), 400, 'operation 0');
  });

  it('answers 422 for operations that cannot apply, leaving the target whole', () => {
    const doc = { spec: { replicas: 1, list: [1] } };
    assertKubeError(() => jsonPatch(doc, [{ op: 'replace', path: '/spec/replicas', value: 2 }, { op: 'test', path: '/spec/replicas', value: 1 }]), 422, 'testing value /spec/replicas failed');
    assertKubeError(() => jsonPatch(doc, [{ op: 'remove', path: '/spec/nope' }]), 422, 'does not exist');
    assertKubeError(() => jsonPatch(doc, [{ op: 'replace', path: '/spec/nope', value: 1 }]), 422, 'does not exist');
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: '/missing/deep', value: 1 }]), 422, 'does not exist');
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: '/spec/list/5', value: 1 }]), 422, 'out of range');
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: '/spec/list/01', value: 1 }]), 422, 'not an array index');
    assertKubeError(() => jsonPatch(doc, [{ op: 'remove', path: '/spec/list/-' }]), 422);
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: 'spec', value: 1 }]), 422, 'start with "/"');
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: '/spec/a~2', value: 1 }]), 422, 'escape');
    assertKubeError(() => jsonPatch(doc, [{ op: 'add', path: '/spec/x' }]), 422, '"value" is required');
    assertKubeError(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/spec' }]), 422, 'unknown operation');
    assertKubeError(() => jsonPatch(doc, [{ op: 'move', from: '/spec', path: '/spec/inner' }]), 422, 'own child');
    assert.deepEqual(doc, { spec: { replicas: 1, list: [1] } });
  });
});
