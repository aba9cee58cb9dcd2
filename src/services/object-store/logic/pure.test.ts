import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from './conditions.js';
import { segmentRange, sloEtag } from './large.js';
import { list } from './listing.js';
import { compareNames } from './names.js';
import { parseRange } from './ranges.js';
import { formatStamp, listingDate } from './time.js';

const names = (xs: { name: string }[]) => xs.map((x) => x.name);
const items = (...ns: string[]) => ns.map((name) => ({ name, item: name }));

describe('object-store logic: listing', () => {
  it('orders by code point (UTF-8 byte order), not UTF-16 units', () => {
    assert.ok(compareNames('\uffff', '😀') < 0);
    assert.ok('\uffff' > '😀', 'JavaScript would order them the other way');
    assert.deepEqual(names(list(items('b', '😀', 'a', '\uffff'))), ['a', 'b', '\uffff', '😀']);
  });

  it('prefix, delimiter, markers, limit and reverse', () => {
    const all = items('a/1', 'a/2', 'a/b/3', 'b', 'c/');
    assert.deepEqual(list(all, { delimiter: '/' }), [{ name: 'a/', subdir: true }, { name: 'b', item: 'b' }, { name: 'c/', subdir: true }]);
    assert.deepEqual(names(list(all, { prefix: 'a/', delimiter: '/' })), ['a/1', 'a/2', 'a/b/']);
    assert.deepEqual(names(list(all, { marker: 'a/2', endMarker: 'c/' })), ['a/b/3', 'b']);
    assert.deepEqual(names(list(all, { reverse: true, marker: 'b', limit: 2 })), ['a/b/3', 'a/2']);
    assert.deepEqual(names(list(all, { delimiter: '/', marker: 'a/' })), ['b', 'c/']);
    assert.deepEqual(names(list(all, { path: 'a' })), ['a/1', 'a/2']);
    assert.equal(list(all, { limit: 0 }).length, 0);
  });
});

describe('object-store logic: ranges and conditions', () => {
  it('parses ranges as swob does', () => {
    assert.deepEqual(parseRange('bytes=0-9,-5', 100), [{ start: 0, end: 9 }, { start: 95, end: 99 }]);
    assert.deepEqual(parseRange('bytes=90-', 100), [{ start: 90, end: 99 }]);
    assert.deepEqual(parseRange('bytes=50-500', 100), [{ start: 50, end: 99 }]);
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=9-1', 100), undefined);
    assert.equal(parseRange('items=1-2', 100), undefined);
    assert.equal(parseRange(undefined, 100), undefined);
    assert.equal(parseRange('bytes=0-', 0), undefined);
  });

  it('segment ranges within an SLO', () => {
    assert.deepEqual(segmentRange('10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(segmentRange('-5', 100), { start: 95, end: 99 });
    assert.equal(segmentRange('100-', 100), null);
    assert.equal(segmentRange('x', 100), null);
  });

  it('evaluates preconditions in RFC 7232 order', () => {
    const t = { etag: 'abc', lastModified: 1000 };
    const date = (s: number) => new Date(s * 1000).toUTCString();
    assert.equal(evaluate(t, { ifMatch: '"abc"' }), 'ok');
    assert.equal(evaluate(t, { ifMatch: 'x, y' }), 'failed');
    assert.equal(evaluate(t, { ifMatch: 'abc', ifUnmodifiedSince: date(1) }), 'ok', 'If-Unmodified-Since ignored with If-Match');
    assert.equal(evaluate(t, { ifUnmodifiedSince: date(999) }), 'failed');
    assert.equal(evaluate(t, { ifNoneMatch: 'W/"abc"' }), 'not-modified');
    assert.equal(evaluate(t, { ifNoneMatch: 'zzz', ifModifiedSince: date(2000) }), 'ok', 'If-Modified-Since ignored with If-None-Match');
    assert.equal(evaluate(t, { ifModifiedSince: date(1000) }), 'not-modified');
    assert.equal(evaluate(t, { ifModifiedSince: 'yesterday-ish 12' }), 'ok');
  });
});

describe('object-store logic: formats', () => {
  it('timestamps and listing dates', () => {
    assert.equal(formatStamp(1700000000.5), '1700000000.50000');
    assert.equal(listingDate('1700000000.12345'), '2023-11-14T22:13:20.123450');
  });

  it('SLO etag is the md5 of the segment etags, ranges included', () => {
    const seg = { container: 'c', name: 'n', size: 10, contentType: 'x', lastModified: '1' };
    assert.equal(sloEtag([{ ...seg, etag: 'a' }, { ...seg, etag: 'b' }]), '187ef4436122d1cc2f40dc2b92f0eba0');
    assert.notEqual(sloEtag([{ ...seg, etag: 'a', range: { start: 0, end: 1 } }]), sloEtag([{ ...seg, etag: 'a' }]));
  });
});
