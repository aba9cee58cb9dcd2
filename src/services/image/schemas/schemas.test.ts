import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StratusError } from '../../../core/errors.js';
import { parseCreate } from './create.js';
import { parseList } from './list.js';
import { parsePatch } from './patch.js';
import { parseRange } from './range.js';

const kind = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof StratusError) return e.kind;
    throw e;
  }
  return 'ok';
};

describe('parseRange', () => {
  it('follows webob: one range, clipped end, suffix; the rest unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-500', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=10-', 100), { start: 10, end: 99 });
    assert.equal(parseRange(undefined, 100), undefined);
    for (const h of ['bytes=100-', 'bytes=5-4', 'bytes=0-1,2-3', 'bytes=-', 'bytes=-0', 'lines=1-2', 'bytes=a-b']) assert.equal(parseRange(h, 100), 'unsatisfiable', h);
    assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
  });
});

describe('parseCreate', () => {
  it('splits base attributes from extra properties', () => {
    const n = parseCreate({ name: 'a', min_ram: 5, foo: 'bar', tags: ['t'] });
    assert.equal(n.name, 'a');
    assert.equal(n.minRam, 5);
    assert.deepEqual(n.properties, { foo: 'bar' });
    assert.deepEqual(n.tags, ['t']);
  });
  it('403 for read-only and reserved, 400 for bad types and names', () => {
    for (const b of [{ status: 'active' }, { self: 'x' }, { os_glance_x: 'y' }, { locations: [] }]) assert.equal(kind(() => parseCreate(b)), 'Forbidden', JSON.stringify(b));
    for (const b of [{ name: 1 }, { foo: 1 }, JSON.parse('{"__proto__": "x"}'), { ['']: 'x' }, { constructor: 1 }, [], null]) assert.equal(kind(() => parseCreate(b)), 'BadRequest', JSON.stringify(b));
  });
});

describe('parsePatch', () => {
  it('reads both drafts and decodes pointers', () => {
    const [a, b] = parsePatch([{ op: 'add', path: '/a~1b~0c', value: 'v' }, { op: 'replace', path: '/min_disk', value: 3 }], 10);
    assert.deepEqual(a!.target, { property: 'a/b~c' });
    assert.deepEqual(b!.target, { field: 'minDisk' });
    const [c] = parsePatch([{ replace: '/name', value: 'n' }], 4);
    assert.equal(c!.op, 'replace');
    assert.equal(c!.strictAdd, true);
    assert.deepEqual(parsePatch([{ op: 'add', path: '/constructor', value: 'x' }], 10)[0]!.target, { property: 'constructor' });
  });
});

describe('parseList', () => {
  it('parses paging, sorting and filters', () => {
    const q = parseList(new URLSearchParams('limit=5&sort=name:asc,size&tag=a&tag=b&size_min=3&name=in:x,"y,z"&foo=bar'));
    assert.equal(q.limit, 5);
    assert.deepEqual(q.sort, [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }]);
    assert.deepEqual(q.tags, ['a', 'b']);
    assert.deepEqual(q.numbers, [{ field: 'size', op: 'gte', value: 3 }]);
    assert.deepEqual(q.fields, [{ field: 'name', values: ['x', 'y,z'] }]);
    assert.deepEqual(q.properties, { foo: 'bar' });
    assert.equal(parseList(new URLSearchParams('limit=5000')).limit, 1000);
  });
});
