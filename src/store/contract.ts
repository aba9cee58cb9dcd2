import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreConflict, StoreNotFound, StoreRevisionMismatch, type Store } from './store.js';

/**
 * The Store contract (see store.ts), run against every implementation by store.test.ts.
 * `make` returns a fresh, empty store; the suite closes it afterwards.
 */
export function storeContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    // Each test uses its own kind, so tests never see each other's records.
    const kind = (label: string) => `contract.${label}.${++n}`;

    before(async () => {
      store = await make();
    });
    after(async () => {
      await store.close();
    });

    it('create returns the record at revision 1 and get returns the same', async () => {
      const k = kind('create');
      const rec = await store.create(k, 'a', { name: 'alpha', n: 1 }, { uniq: 'u-a' });
      assert.equal(rec.kind, k);
      assert.equal(rec.id, 'a');
      assert.equal(rec.rev, 1);
      assert.equal(rec.uniq, 'u-a');
      assert.deepEqual(rec.data, { name: 'alpha', n: 1 });
      assert.equal(typeof rec.createdAt, 'number');
      assert.equal(rec.createdAt, rec.updatedAt);
      const got = await store.get(k, 'a');
      assert.deepEqual(got, rec);
      assert.equal(await store.get(k, 'missing'), undefined);
      assert.equal(await store.get(`${k}.other`, 'a'), undefined, 'kinds are separate namespaces');
    });

    it('create without uniq stores null', async () => {
      const k = kind('nouniq');
      const rec = await store.create(k, 'a', { x: 1 });
      assert.equal(rec.uniq, null);
      assert.equal((await store.get(k, 'a'))!.uniq, null);
    });

    it('records are copies: mutating what was passed in or returned changes nothing stored', async () => {
      const k = kind('copies');
      const data = { list: [1, 2], nested: { v: 'x' } };
      const rec = await store.create(k, 'a', data);
      data.list.push(3);
      data.nested.v = 'changed';
      rec.data.list.push(4);
      const got = await store.get<typeof data>(k, 'a');
      assert.deepEqual(got!.data, { list: [1, 2], nested: { v: 'x' } });
      got!.data.nested.v = 'again';
      assert.deepEqual((await store.find<typeof data>(k))[0]!.data.nested, { v: 'x' });
    });

    it('find with shared gives frozen data equal to a plain find, and never stale after writes', async () => {
      const k = kind('shared');
      await store.create(k, 'a', { name: 'alpha', tags: ['x'], nested: { v: 1 } });
      await store.create(k, 'b', { name: 'beta', tags: [], nested: { v: 2 } });
      const plain = await store.find(k);
      const shared = await store.find<{ name: string; tags: string[]; nested: { v: number } }>(k, { shared: true });
      assert.deepEqual(shared, plain, 'same records, same order, same fields');
      const a = shared[0]!.data;
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a.tags) && Object.isFrozen(a.nested), 'deeply frozen');
      assert.throws(() => a.tags.push('y'), TypeError);
      assert.throws(() => {
        a.nested.v = 9;
      }, TypeError);
      // Filters apply as usual.
      assert.deepEqual((await store.find(k, { where: { name: 'beta' }, shared: true })).map((r) => r.id), ['b']);
      // An update, a delete and a re-create under the same id are all seen.
      await store.update(k, 'a', { name: 'alpha', tags: ['x', 'z'], nested: { v: 1 } });
      assert.deepEqual((await store.find<{ tags: string[] }>(k, { shared: true }))[0]!.data.tags, ['x', 'z']);
      await store.delete(k, 'b');
      await store.create(k, 'b', { name: 'beta2', tags: [], nested: { v: 3 } });
      const again = await store.find<{ name: string }>(k, { shared: true });
      assert.deepEqual(again.map((r) => [r.id, r.data.name, r.rev]), [['a', 'alpha', 2], ['b', 'beta2', 1]]);
      // A rolled-back update is not seen either, even though the revision number comes back.
      await assert.rejects(
        store.tx(async (ops) => {
          await ops.update(k, 'a', { name: 'rolled back', tags: [], nested: { v: 0 } });
          assert.equal((await ops.find<{ name: string }>(k, { ids: ['a'], shared: true }))[0]!.data.name, 'rolled back', 'the tx sees its own write');
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.equal((await store.find<{ name: string }>(k, { ids: ['a'], shared: true }))[0]!.data.name, 'alpha');
      await store.update(k, 'a', { name: 'committed', tags: [], nested: { v: 0 } });
      assert.equal((await store.find<{ name: string }>(k, { ids: ['a'], shared: true }))[0]!.data.name, 'committed');
      // Plain reads still hand out private, writable copies.
      const mine = (await store.find<{ tags: string[] }>(k))[0]!.data;
      mine.tags.push('mine');
      assert.deepEqual((await store.find<{ tags: string[] }>(k, { shared: true }))[0]!.data.tags, []);
    });

    it('getByUniq finds by uniq key, per kind', async () => {
      const k = kind('uniq');
      await store.create(k, 'a', { v: 1 }, { uniq: 'dom/alpha' });
      await store.create(k, 'b', { v: 2 }, { uniq: 'dom/beta' });
      assert.equal((await store.getByUniq(k, 'dom/alpha'))!.id, 'a');
      assert.equal((await store.getByUniq(k, 'dom/beta'))!.id, 'b');
      assert.equal(await store.getByUniq(k, 'dom/gamma'), undefined);
      assert.equal(await store.getByUniq(`${k}.other`, 'dom/alpha'), undefined);
    });

    it('create with a taken id fails with StoreConflict(id) and leaves the original', async () => {
      const k = kind('idconflict');
      await store.create(k, 'a', { v: 1 }, { uniq: 'one' });
      await assert.rejects(store.create(k, 'a', { v: 2 }, { uniq: 'two' }), (e: unknown) => {
        assert.ok(e instanceof StoreConflict, String(e));
        assert.equal(e.field, 'id');
        assert.equal(e.kind, k);
        return true;
      });
      assert.deepEqual((await store.get(k, 'a'))!.data, { v: 1 });
      assert.equal(await store.getByUniq(k, 'two'), undefined, 'the failed create did not take its uniq');
      assert.equal(await store.count(k), 1);
    });

    it('create with a taken uniq fails with StoreConflict(uniq); the same uniq in another kind is fine', async () => {
      const k = kind('uniqconflict');
      await store.create(k, 'a', { v: 1 }, { uniq: 'same' });
      await assert.rejects(store.create(k, 'b', { v: 2 }, { uniq: 'same' }), (e: unknown) => {
        assert.ok(e instanceof StoreConflict, String(e));
        assert.equal(e.field, 'uniq');
        assert.equal(e.value, 'same');
        return true;
      });
      assert.equal(await store.get(k, 'b'), undefined);
      await store.create(`${k}.other`, 'b', { v: 2 }, { uniq: 'same' });
      // Many records may have no uniq at all.
      await store.create(k, 'c', { v: 3 });
      await store.create(k, 'd', { v: 4 }, { uniq: null });
      assert.equal(await store.count(k), 3);
    });

    it('update bumps rev and updatedAt, keeps createdAt, and keeps uniq unless given', async () => {
      const k = kind('update');
      const c = await store.create(k, 'a', { v: 1 }, { uniq: 'u1' });
      await new Promise((r) => setTimeout(r, 3));
      const u = await store.update(k, 'a', { v: 2 });
      assert.equal(u.rev, 2);
      assert.equal(u.createdAt, c.createdAt);
      assert.ok(u.updatedAt >= c.updatedAt);
      assert.equal(u.uniq, 'u1');
      const got = await store.get(k, 'a');
      assert.deepEqual(got, u);
      assert.equal((await store.getByUniq(k, 'u1'))!.id, 'a');
    });

    it('update can change and clear the uniq key', async () => {
      const k = kind('reuniq');
      await store.create(k, 'a', { v: 1 }, { uniq: 'old' });
      await store.update(k, 'a', { v: 2 }, { uniq: 'new' });
      assert.equal(await store.getByUniq(k, 'old'), undefined);
      assert.equal((await store.getByUniq(k, 'new'))!.id, 'a');
      // The released key is free again.
      await store.create(k, 'b', { v: 3 }, { uniq: 'old' });
      await store.update(k, 'a', { v: 4 }, { uniq: null });
      assert.equal(await store.getByUniq(k, 'new'), undefined);
      assert.equal((await store.get(k, 'a'))!.uniq, null);
      await store.create(k, 'c', { v: 5 }, { uniq: 'new' });
    });

    it('update to a uniq held by another record fails with StoreConflict and changes nothing', async () => {
      const k = kind('updconflict');
      await store.create(k, 'a', { v: 1 }, { uniq: 'ua' });
      await store.create(k, 'b', { v: 2 }, { uniq: 'ub' });
      await assert.rejects(store.update(k, 'b', { v: 3 }, { uniq: 'ua' }), (e: unknown) => {
        assert.ok(e instanceof StoreConflict, String(e));
        assert.equal(e.field, 'uniq');
        return true;
      });
      const b = await store.get(k, 'b');
      assert.deepEqual(b!.data, { v: 2 });
      assert.equal(b!.rev, 1);
      assert.equal(b!.uniq, 'ub');
      assert.equal((await store.getByUniq(k, 'ua'))!.id, 'a');
      assert.equal((await store.getByUniq(k, 'ub'))!.id, 'b');
      // Re-asserting one's own uniq is not a conflict.
      await store.update(k, 'a', { v: 9 }, { uniq: 'ua' });
    });

    it('update of a missing record fails with StoreNotFound', async () => {
      const k = kind('updmissing');
      await assert.rejects(store.update(k, 'nope', { v: 1 }), (e: unknown) => {
        assert.ok(e instanceof StoreNotFound, String(e));
        assert.equal(e.id, 'nope');
        return true;
      });
      assert.equal(await store.get(k, 'nope'), undefined);
    });

    it('update with ifRev succeeds on the current revision and fails with StoreRevisionMismatch otherwise', async () => {
      const k = kind('ifrev');
      await store.create(k, 'a', { v: 1 });
      const u = await store.update(k, 'a', { v: 2 }, { ifRev: 1 });
      assert.equal(u.rev, 2);
      await assert.rejects(store.update(k, 'a', { v: 3 }, { ifRev: 1 }), (e: unknown) => {
        assert.ok(e instanceof StoreRevisionMismatch, String(e));
        assert.equal(e.expected, 1);
        assert.equal(e.actual, 2);
        return true;
      });
      assert.deepEqual((await store.get(k, 'a'))!.data, { v: 2 });
      assert.equal((await store.update(k, 'a', { v: 4 }, { ifRev: 2 })).rev, 3);
    });

    it('delete returns whether something was removed and frees id and uniq', async () => {
      const k = kind('delete');
      await store.create(k, 'a', { v: 1 }, { uniq: 'ua' });
      assert.equal(await store.delete(k, 'a'), true);
      assert.equal(await store.delete(k, 'a'), false);
      assert.equal(await store.delete(k, 'never'), false);
      assert.equal(await store.get(k, 'a'), undefined);
      assert.equal(await store.getByUniq(k, 'ua'), undefined);
      const again = await store.create(k, 'a', { v: 2 }, { uniq: 'ua' });
      assert.equal(again.rev, 1);
    });

    it('find filters on top-level fields with exact equality, including booleans and numbers', async () => {
      const k = kind('find');
      await store.create(k, 'a', { type: 'x', enabled: true, n: 1, tag: 'p' });
      await store.create(k, 'b', { type: 'y', enabled: false, n: 2, tag: 'q' });
      await store.create(k, 'c', { type: 'x', enabled: false, n: 3, tag: null });
      await store.create(k, 'd', { type: 'x', enabled: true, n: 1 });
      const ids = async (where: Parameters<Store['find']>[1]) => (await store.find(k, where)).map((r) => r.id);
      assert.deepEqual(await ids({}), ['a', 'b', 'c', 'd']);
      assert.deepEqual(await ids(undefined), ['a', 'b', 'c', 'd']);
      assert.deepEqual(await ids({ where: { type: 'x' } }), ['a', 'c', 'd']);
      assert.deepEqual(await ids({ where: { enabled: true } }), ['a', 'd']);
      assert.deepEqual(await ids({ where: { enabled: false } }), ['b', 'c']);
      assert.deepEqual(await ids({ where: { n: 1 } }), ['a', 'd']);
      assert.deepEqual(await ids({ where: { type: 'x', enabled: false } }), ['c']);
      assert.deepEqual(await ids({ where: { type: 'z' } }), []);
      // A string is not a number: '1' does not match 1.
      assert.deepEqual(await ids({ where: { n: '1' } }), []);
      assert.deepEqual(await ids({ where: { type: 'X' } }), [], 'equality is case-sensitive');
      assert.equal(await store.count(k, { where: { type: 'x' } }), 3);
      assert.equal(await store.count(k), 4);
      assert.equal(await store.count(`${k}.empty`), 0);
      assert.deepEqual(await store.find(`${k}.empty`), []);
    });

    it('find equality is typed: a boolean never matches a number, nor a string its text', async () => {
      const k = kind('findtyped');
      await store.create(k, 'bool-true', { v: true });
      await store.create(k, 'bool-false', { v: false });
      await store.create(k, 'num-1', { v: 1 });
      await store.create(k, 'num-0', { v: 0 });
      await store.create(k, 'str-true', { v: 'true' });
      await store.create(k, 'str-1', { v: '1' });
      await store.create(k, 'float', { v: 1.5 });
      const ids = async (v: string | number | boolean) => (await store.find(k, { where: { v } })).map((r) => r.id);
      assert.deepEqual(await ids(true), ['bool-true']);
      assert.deepEqual(await ids(false), ['bool-false']);
      assert.deepEqual(await ids(1), ['num-1']);
      assert.deepEqual(await ids(0), ['num-0']);
      assert.deepEqual(await ids('true'), ['str-true']);
      assert.deepEqual(await ids('1'), ['str-1']);
      assert.deepEqual(await ids(1.5), ['float']);
      assert.equal(await store.count(k, { where: { v: true } }), 1);
      assert.equal(await store.deleteWhere(k, { v: 1 }), 1);
      assert.ok(await store.get(k, 'bool-true'), 'deleteWhere by number left the boolean alone');
    });

    it('find with a null filter matches a missing or null field', async () => {
      const k = kind('findnull');
      await store.create(k, 'a', { parent: 'p1' });
      await store.create(k, 'b', { parent: null });
      await store.create(k, 'c', {});
      await store.create(k, 'd', { parent: '' });
      const ids = (await store.find(k, { where: { parent: null } })).map((r) => r.id);
      assert.deepEqual(ids, ['b', 'c']);
      assert.equal(await store.count(k, { where: { parent: null } }), 2);
      assert.deepEqual((await store.find(k, { where: { parent: '' } })).map((r) => r.id), ['d']);
    });

    it('find by ids and with a limit', async () => {
      const k = kind('findids');
      for (const id of ['a', 'b', 'c', 'd', 'e']) await store.create(k, id, { even: 'bd'.includes(id) });
      const ids = async (q: Parameters<Store['find']>[1]) => (await store.find(k, q)).map((r) => r.id);
      assert.deepEqual(await ids({ ids: ['d', 'a', 'zz'] }), ['a', 'd']);
      assert.deepEqual(await ids({ ids: [] }), []);
      assert.deepEqual(await ids({ ids: ['a', 'b', 'c'], where: { even: true } }), ['b']);
      assert.deepEqual(await ids({ limit: 2 }), ['a', 'b']);
      assert.deepEqual(await ids({ limit: 0 }), []);
      assert.deepEqual(await ids({ where: { even: false }, limit: 2 }), ['a', 'c']);
      assert.equal(await store.count(k, { ids: ['a', 'b', 'x'] }), 2);
    });

    it('find orders by creation, not by id, and an update does not move a record', async () => {
      const k = kind('order');
      const order = ['m', 'c', 'z', 'a', 'q'];
      for (const id of order) await store.create(k, id, { v: id });
      await store.update(k, 'm', { v: 'updated' });
      await store.update(k, 'c', { v: 'updated' }, { uniq: 'cc' });
      assert.deepEqual((await store.find(k)).map((r) => r.id), order);
      await store.delete(k, 'z');
      await store.create(k, 'b', { v: 'b' });
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['m', 'c', 'a', 'q', 'b']);
    });

    it('deleteWhere removes exactly the matching records and returns how many', async () => {
      const k = kind('delwhere');
      await store.create(k, 'a', { owner: 'u1', type: 'x' }, { uniq: 'ua' });
      await store.create(k, 'b', { owner: 'u1', type: 'y' }, { uniq: 'ub' });
      await store.create(k, 'c', { owner: 'u2', type: 'x' }, { uniq: 'uc' });
      await store.create(k, 'd', { type: 'x' });
      assert.equal(await store.deleteWhere(k, { owner: 'u1', type: 'x' }), 1);
      assert.equal(await store.deleteWhere(k, { owner: 'u1' }), 1);
      assert.equal(await store.deleteWhere(k, { owner: 'nobody' }), 0);
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['c', 'd']);
      assert.equal(await store.getByUniq(k, 'ua'), undefined);
      assert.equal(await store.getByUniq(k, 'ub'), undefined);
      await store.create(k, 'e', { owner: 'u3' }, { uniq: 'ua' });
      assert.equal(await store.deleteWhere(k, { owner: null }), 1, 'null matches the record without owner');
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['c', 'e']);
      assert.equal(await store.deleteWhere(`${k}.empty`, {}), 0);
    });

    it('tx commits every write when the function resolves, and returns its value', async () => {
      const k = kind('txcommit');
      await store.create(k, 'keep', { v: 0 }, { uniq: 'k' });
      await store.create(k, 'gone', { v: 0 });
      const r = await store.tx(async (ops) => {
        await ops.create(k, 'a', { v: 1 }, { uniq: 'ua' });
        await ops.update(k, 'keep', { v: 2 }, { uniq: 'k2' });
        await ops.delete(k, 'gone');
        // Reads inside the transaction see its own writes.
        assert.deepEqual((await ops.get(k, 'a'))!.data, { v: 1 });
        assert.equal((await ops.getByUniq(k, 'k2'))!.id, 'keep');
        assert.equal(await ops.get(k, 'gone'), undefined);
        assert.equal(await ops.count(k), 2);
        assert.deepEqual((await ops.find(k)).map((x) => x.id), ['keep', 'a']);
        return 'done';
      });
      assert.equal(r, 'done');
      assert.deepEqual((await store.find(k)).map((x) => x.id), ['keep', 'a']);
      assert.equal((await store.get(k, 'keep'))!.rev, 2);
      assert.equal((await store.getByUniq(k, 'k2'))!.id, 'keep');
      assert.equal(await store.getByUniq(k, 'k'), undefined);
    });

    it('tx rolls back every write, uniq changes included, when the function throws', async () => {
      const k = kind('txrollback');
      await store.create(k, 'upd', { v: 'orig' }, { uniq: 'u-upd' });
      await store.create(k, 'del', { v: 'orig' }, { uniq: 'u-del' });
      await store.create(k, 'dw1', { grp: 'g' }, { uniq: 'u-dw1' });
      await store.create(k, 'dw2', { grp: 'g' });
      await store.create(k, 'twice', { v: 0 }, { uniq: 't0' });
      const before = await store.find(k);
      const boom = new Error('boom');
      await assert.rejects(
        store.tx(async (ops) => {
          await ops.create(k, 'new', { v: 1 }, { uniq: 'u-new' });
          await ops.update(k, 'upd', { v: 'changed' }, { uniq: 'u-upd2' });
          await ops.delete(k, 'del');
          // The freed uniq is reused inside the same transaction.
          await ops.create(k, 'reuse', { v: 2 }, { uniq: 'u-del' });
          assert.equal(await ops.deleteWhere(k, { grp: 'g' }), 2);
          await ops.update(k, 'twice', { v: 1 }, { uniq: 't1' });
          await ops.update(k, 'twice', { v: 2 }, { uniq: 't2' });
          // A record created and then changed in the same transaction.
          await ops.create(k, 'temp', { v: 1 }, { uniq: 'tmp1' });
          await ops.update(k, 'temp', { v: 2 }, { uniq: 'tmp2' });
          await ops.delete(k, 'temp');
          throw boom;
        }),
        (e: unknown) => e === boom,
      );
      assert.deepEqual(await store.find(k), before, 'every record is back exactly as it was');
      for (const id of ['new', 'reuse', 'temp']) assert.equal(await store.get(k, id), undefined, id);
      const holder = async (u: string) => (await store.getByUniq(k, u))?.id;
      assert.equal(await holder('u-new'), undefined);
      assert.equal(await holder('u-upd'), 'upd');
      assert.equal(await holder('u-upd2'), undefined);
      assert.equal(await holder('u-del'), 'del');
      assert.equal(await holder('u-dw1'), 'dw1');
      assert.equal(await holder('t0'), 'twice');
      assert.equal(await holder('t1'), undefined);
      assert.equal(await holder('t2'), undefined);
      assert.equal(await holder('tmp1'), undefined);
      assert.equal(await holder('tmp2'), undefined);
      // The uniq index agrees with the records: released keys are free, restored ones are held.
      await store.create(k, 'n1', {}, { uniq: 'u-new' });
      await store.create(k, 'n2', {}, { uniq: 'u-upd2' });
      await store.create(k, 'n3', {}, { uniq: 't2' });
      await assert.rejects(store.create(k, 'n4', {}, { uniq: 'u-upd' }), StoreConflict);
      await assert.rejects(store.create(k, 'n5', {}, { uniq: 'u-del' }), StoreConflict);
      await assert.rejects(store.create(k, 'n6', {}, { uniq: 't0' }), StoreConflict);
      await assert.rejects(store.create(k, 'upd', {}), StoreConflict);
      // And the store goes on working normally afterwards.
      assert.equal((await store.update(k, 'upd', { v: 'after' })).rev, 2);
    });

    it('a failed write caught inside a tx does not abort it', async () => {
      const k = kind('txcaught');
      await store.create(k, 'a', { v: 1 }, { uniq: 'ua' });
      await store.tx(async (ops) => {
        await assert.rejects(ops.create(k, 'b', { v: 2 }, { uniq: 'ua' }), StoreConflict);
        await assert.rejects(ops.create(k, 'a', { v: 2 }), StoreConflict);
        await assert.rejects(ops.update(k, 'zz', {}), StoreNotFound);
        await ops.create(k, 'c', { v: 3 }, { uniq: 'uc' });
      });
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['a', 'c']);
      assert.equal(await store.get(k, 'b'), undefined);
    });

    it('transactions are serialized: concurrent read-modify-write loses no update', async () => {
      const k = kind('txserial');
      await store.create(k, 'counter', { n: 0 });
      const bump = () =>
        store.tx(async (ops) => {
          const cur = await ops.get<{ n: number }>(k, 'counter');
          await new Promise((r) => setTimeout(r, 1));
          await ops.update(k, 'counter', { n: cur!.data.n + 1 }, { ifRev: cur!.rev });
        });
      await Promise.all(Array.from({ length: 20 }, bump));
      const c = await store.get<{ n: number }>(k, 'counter');
      assert.equal(c!.data.n, 20);
      assert.equal(c!.rev, 21);
    });

    it('transactions run one at a time, in the order they were started', async () => {
      const k = kind('txorder');
      const events: string[] = [];
      const run = (label: string, ms: number) =>
        store.tx(async (ops) => {
          events.push(`start ${label}`);
          await new Promise((r) => setTimeout(r, ms));
          await ops.create(k, label, {});
          events.push(`end ${label}`);
        });
      await Promise.all([run('a', 15), run('b', 1), run('c', 5)]);
      assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['a', 'b', 'c']);
    });

    it('plain operations never observe a transaction in progress', async () => {
      const k = kind('txisolation');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let inside!: () => void;
      const entered = new Promise<void>((r) => (inside = r));
      const committed = store.tx(async (ops) => {
        await ops.create(k, 'a', { v: 1 });
        inside();
        await gate;
      });
      await entered;
      let seen: unknown = 'pending';
      const read = store.get(k, 'a').then((r) => (seen = r));
      const counted = store.count(k);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(seen, 'pending', 'the read waits for the open transaction');
      release();
      await committed;
      await read;
      assert.equal((seen as unknown as { id: string }).id, 'a');
      assert.equal(await counted, 1);

      // And a rolled-back one is never seen at all.
      let release2!: () => void;
      const gate2 = new Promise<void>((r) => (release2 = r));
      let inside2!: () => void;
      const entered2 = new Promise<void>((r) => (inside2 = r));
      const failed = store.tx(async (ops) => {
        await ops.create(k, 'b', { v: 2 });
        inside2();
        await gate2;
        throw new Error('abort');
      });
      await entered2;
      const read2 = store.get(k, 'b');
      const find2 = store.find(k);
      release2();
      await assert.rejects(failed, /abort/);
      assert.equal(await read2, undefined);
      assert.deepEqual((await find2).map((r) => r.id), ['a']);
    });

    it('a plain write issued during a transaction is not undone by its rollback', async () => {
      const k = kind('txplainwrite');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let inside!: () => void;
      const entered = new Promise<void>((r) => (inside = r));
      const failed = store.tx(async (ops) => {
        await ops.create(k, 'in-tx', {});
        inside();
        await gate;
        throw new Error('abort');
      });
      await entered;
      const plain = store.create(k, 'plain', {}, { uniq: 'p' });
      release();
      await assert.rejects(failed, /abort/);
      await plain;
      assert.deepEqual((await store.find(k)).map((r) => r.id), ['plain']);
      assert.equal((await store.getByUniq(k, 'p'))!.id, 'plain');
    });

    it('schemaVersion is a positive integer', async () => {
      const v = await store.schemaVersion();
      assert.ok(Number.isInteger(v) && v >= 1, String(v));
    });

    it('backend names the implementation', () => {
      assert.ok(store.backend === 'sqlite' || store.backend === 'memory');
    });
  });
}
