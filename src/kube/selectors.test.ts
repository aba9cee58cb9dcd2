import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from './errors.js';
import {
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';
import type { KubeObject } from './types.js';

const matches = (sel: string, labels?: Record<string, string>): boolean => matchesLabels(parseLabelSelector(sel), labels);

function assertBadRequest(fn: () => unknown, includes?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KubeError, `expected KubeError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    if (includes) assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

describe('label selectors', () => {
  const web = { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'shop' };

  it('matches equality, set and existence terms joined by commas', () => {
    assert.ok(matches('app=web', web));
    assert.ok(matches('app==web', web));
    assert.ok(!matches('app=db', web));
    assert.ok(matches('app!=db', web));
    assert.ok(!matches('app!=web', web));
    assert.ok(matches('tier in (front,back)', web));
    assert.ok(!matches('tier in (back)', web));
    assert.ok(matches('tier notin (back)', web));
    assert.ok(!matches('tier notin (front, back)', web));
    assert.ok(matches('app', web));
    assert.ok(!matches('missing', web));
    assert.ok(matches('!missing', web));
    assert.ok(!matches('!app', web));
    assert.ok(matches('app.kubernetes.io/name=shop', web));
    assert.ok(matches('app=web,tier in (front),!legacy', web));
    assert.ok(!matches('app=web,tier=back', web));
  });

  it('lets != and notin match objects without the key; empty selects everything', () => {
    assert.ok(matches('env!=prod', {}));
    assert.ok(matches('env notin (prod)', undefined));
    assert.ok(!matches('env in (prod)', undefined));
    assert.ok(!matches('env=prod', {}));
    assert.ok(matches('', undefined));
    assert.ok(matches('   ', web));
    assert.deepEqual(parseLabelSelector('').requirements, []);
  });

  it('tolerates whitespace and accepts empty values', () => {
    assert.ok(matches('  app =  web ,  tier  in ( front , back ) ', web));
    assert.ok(matches('app in(web)', web));
    assert.ok(matches('empty=', { empty: '' }));
    assert.ok(!matches('empty=', { empty: 'x' }));
    assert.ok(!matches('empty=', {}));
  });

  it('supports the numeric Gt/Lt operators', () => {
    assert.ok(matches('gen>3', { gen: '4' }));
    assert.ok(!matches('gen>3', { gen: '3' }));
    assert.ok(matches('gen<3', { gen: '-1' }));
    assert.ok(!matches('gen<3', { gen: 'abc' }));
    assertBadRequest(() => parseLabelSelector('gen>x'), 'integer');
  });

  it('rejects bad syntax, keys and values with 400 and a hint', () => {
    for (const bad of ['app=web,', ',app', 'app in web', 'app in ()', 'app in (a', 'app=(x)', 'app web', '!', '!app=web', '=web', 'a=b=c', 'app notin']) {
      assertBadRequest(() => parseLabelSelector(bad));
    }
    assertBadRequest(() => parseLabelSelector('-app=web'), 'invalid label key');
    assertBadRequest(() => parseLabelSelector(`${'a'.repeat(64)}=x`), 'no more than 63');
    assertBadRequest(() => parseLabelSelector('Example.COM/app=x'), 'prefix');
    assertBadRequest(() => parseLabelSelector(`app=${'v'.repeat(64)}`), 'invalid label value');
    assertBadRequest(() => parseLabelSelector('app=we$b'), 'invalid label value');
    assertBadRequest(() => parseLabelSelector('app in (a,-b)'), 'invalid label value');
  });

  it('round-trips through the string form, keeping the given order', () => {
    const sel = parseLabelSelector('tier in (b,a), app=web, !legacy, zone, env!=prod, z notin (x)');
    assert.equal(formatLabelSelector(sel), 'tier in (a,b),app=web,!legacy,zone,env!=prod,z notin (x)');
    assert.deepEqual(parseLabelSelector(formatLabelSelector(sel)), sel);
  });

  it('converts metav1.LabelSelector objects (matchLabels + matchExpressions)', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'zone', operator: 'Exists' },
      ],
    });
    assert.equal(formatLabelSelector(sel), 'app=web,env notin (prod),!legacy,tier in (back,front),zone');
    assert.ok(matchesLabels(sel, { app: 'web', tier: 'back', zone: 'a' }));
    assert.ok(!matchesLabels(sel, { app: 'web', tier: 'back' }));
    assert.ok(!matchesLabels(sel, { app: 'web', tier: 'back', zone: 'a', legacy: 'y' }));
    assert.equal(formatLabelSelector(labelSelectorFromObject({ matchLabels: { app: 'web' } })), 'app=web');
    assert.ok(matchesLabels(labelSelectorFromObject(undefined), { any: 'thing' }));
    assert.ok(matchesLabels(labelSelectorFromObject({}), {}));
    assertBadRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }), 'not a valid label selector operator');
    assertBadRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), "can't be empty");
    assertBadRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), 'must be empty');
    assertBadRequest(() => labelSelectorFromObject({ matchLabels: { 'bad key': 'x' } }), 'invalid label key');
    // Malformed shapes from client bodies are 400s, never crashes.
    for (const junk of [{ matchExpressions: {} }, { matchExpressions: [null] }, { matchExpressions: [{ operator: 'Exists' }] }, { matchExpressions: [{ key: 'a', operator: 'In', values: 'x' }] }, { matchLabels: [] }, { matchLabels: { a: 1 } }]) {
      assertBadRequest(() => labelSelectorFromObject(junk as any));
    }
  });
});

describe('field selectors', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'node-a', priority: 0, hostNetwork: false },
    status: { phase: 'Running' },
  };
  const pending: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-2', namespace: 'default' }, spec: {}, status: { phase: 'Pending' } };
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u-1' },
  };
  const fm = (sel: string, obj: KubeObject): boolean => matchesFields(parseFieldSelector(sel), obj);

  it('matches what kubectl sends: metadata.name, spec.nodeName, status.phase, involvedObject', () => {
    assert.ok(fm('metadata.name=web-1', pod));
    assert.ok(fm('metadata.name==web-1', pod));
    assert.ok(!fm('metadata.name=web-2', pod));
    assert.ok(fm('metadata.namespace=default', pod));
    assert.ok(fm('spec.nodeName=node-a,status.phase!=Succeeded,status.phase!=Failed', pod));
    assert.ok(!fm('spec.nodeName=node-b,status.phase!=Succeeded', pod));
    assert.ok(fm('involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u-1', event));
    assert.ok(fm('spec.hostNetwork=false,spec.priority=0', pod));
  });

  it('treats missing fields as "" and accepts empty values', () => {
    assert.ok(fm('spec.nodeName=', pending));
    assert.ok(!fm('spec.nodeName=', pod));
    assert.ok(fm('spec.nodeName!=', pod));
    assert.ok(fm('status.nothing.deeper=', pod));
    assert.ok(fm('', pod));
    assert.deepEqual(parseFieldSelector(' ').requirements, []);
  });

  it('unescapes \\, \\= and \\\\ in values', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a,b=c\\d' } };
    const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
    assert.deepEqual(sel.requirements, [{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]);
    assert.ok(matchesFields(sel, obj));
  });

  it('rejects terms without an operator or field with 400', () => {
    for (const bad of ['metadata.name', '=x', 'a=b,', 'a=b=c', 'a=x\\y']) assertBadRequest(() => parseFieldSelector(bad));
  });
});
