// The object-store logic on its own (what Swift and S3 share), over the in-memory store and
// blob store: crash recovery that runs while uploads are in flight, counters, copy, expiry.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/log.js';
import { MemoryBlobStore } from '../../src/drivers/object/memory.js';
import { ObjectStorage, accountOfProject } from '../../src/services/object-store/logic/index.js';
import { MemoryStore } from '../../src/store/memory/index.js';

function storage(now = () => Date.now()) {
  const blobs = new MemoryBlobStore();
  const s = new ObjectStorage({ store: new MemoryStore(), blobs, clock: { now }, events: new EventBus(), log: silentLogger }, { expirerIntervalMs: 0 });
  return { s, blobs };
}

async function keys(blobs: MemoryBlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const k of blobs.keys('objects')) out.push(k);
  return out;
}

const account = accountOfProject('p1');
const loc = (name: string) => ({ account, container: 'c', name });
const text = async (s: ObjectStorage, name: string) => {
  const rec = await s.objects.head(loc(name));
  const chunks: Buffer[] = [];
  for await (const c of await s.open(await s.plan(rec, async () => undefined))) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

describe('object-store logic', () => {
  it('recovery removes orphans but not a blob whose upload is in flight', async () => {
    const { s, blobs } = storage();
    await s.containers.create(account, 'c');
    await s.objects.put(loc('old'), Readable.from([Buffer.from('old')]), { contentType: 'text/plain', meta: {} });
    await blobs.put('objects/zz/orphan', Readable.from([Buffer.from('x')]));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield Buffer.from('new ');
      await gate;
      yield Buffer.from('bytes');
    }
    const upload = s.objects.put(loc('new'), slow(), { contentType: 'text/plain', meta: {} });
    await new Promise((r) => setImmediate(r));
    assert.equal(await s.init(), 1, 'the orphan, and only it, was removed');
    release();
    await upload;
    assert.equal(await text(s, 'new'), 'new bytes');
    assert.equal(await text(s, 'old'), 'old');
    assert.equal((await keys(blobs)).length, 2);
    await s.close();
  });

  it('keeps container counters equal to the records through overwrite, copy and delete', async () => {
    const { s, blobs } = storage();
    await s.containers.create(account, 'c');
    const put = (n: string, body: string) => s.objects.put(loc(n), Readable.from([Buffer.from(body)]), { contentType: 'x', meta: {} });
    await put('a', '12345');
    await put('a', '12');
    await put('b', '');
    await s.copy(loc('a'), loc('a2'), { meta: { k: 'v' } }, async () => undefined);
    let c = await s.containers.get(account, 'c');
    assert.deepEqual([c.objectCount, c.bytesUsed], [3, 4]);
    assert.equal((await keys(blobs)).length, 2, 'empty objects keep no blob; the overwritten blob is gone');
    await s.objects.delete(loc('a'));
    c = await s.containers.get(account, 'c');
    assert.deepEqual([c.objectCount, c.bytesUsed], [2, 2]);
    assert.equal((await s.accounts.info(account)).objectCount, 2);
    await assert.rejects(s.containers.delete(account, 'c'), /not empty/);
    const res = await s.deleteMany(account, [{ path: '/c/a2', container: 'c', name: 'a2' }, { path: '/c/b', container: 'c', name: 'b' }, { path: '/c', container: 'c' }], async () => undefined);
    assert.deepEqual([res.deleted, res.notFound, res.errors.length], [3, 0, 0]);
  });

  it('hides expired objects at once and sweeps them', async () => {
    let t = 1_000_000_000_000;
    const { s } = storage(() => t);
    await s.containers.create(account, 'c');
    await s.objects.put(loc('e'), Readable.from([Buffer.from('x')]), { contentType: 'x', meta: {}, deleteAt: t / 1000 + 10 });
    assert.ok(await s.objects.find(loc('e')));
    t += 11_000;
    assert.equal(await s.objects.find(loc('e')), undefined);
    assert.equal((await s.containers.listObjects(account, 'c', {})).length, 0);
    assert.equal((await s.containers.get(account, 'c')).objectCount, 1, 'until swept');
    assert.equal(await s.expirer.sweep(), 1);
    assert.equal((await s.containers.get(account, 'c')).objectCount, 0);
  });

  it('rejects a mismatched etag or a short body without storing anything', async () => {
    const { s, blobs } = storage();
    await s.containers.create(account, 'c');
    const body = () => Readable.from([Buffer.from('abc')]);
    await assert.rejects(s.objects.put(loc('x'), body(), { contentType: 'x', meta: {} }, { expectedEtag: 'f'.repeat(32) }), (e: any) => e.code === 'EtagMismatch');
    await assert.rejects(s.objects.put(loc('x'), body(), { contentType: 'x', meta: {} }, { expectedSize: 10 }), (e: any) => e.code === 'IncompleteBody');
    assert.equal(await s.objects.find(loc('x')), undefined);
    assert.deepEqual(await keys(blobs), []);
  });
});
