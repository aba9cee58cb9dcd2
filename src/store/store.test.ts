import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { storeContract } from './contract.js';
import { MemoryStore } from './memory/index.js';
import { SqliteStore } from './sqlite/index.js';
import { LATEST_SCHEMA, MIGRATIONS } from './migrations.js';
import { openStore, StoreConflict, type Store } from './index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stratus-store-test-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeContract('MemoryStore', async () => new MemoryStore());
storeContract('SqliteStore (file)', async () => new SqliteStore(join(tempDir(), 'stratus.db')));
storeContract('SqliteStore (:memory:)', async () => new SqliteStore(':memory:'));

describe('SqliteStore persistence', () => {
  it('data, uniq keys, revisions and creation order survive close and reopen', async () => {
    const path = join(tempDir(), 'nested', 'dir', 'stratus.db');
    let s: Store = new SqliteStore(path);
    await s.create('k', 'b', { v: 1, flag: true }, { uniq: 'ub' });
    await s.create('k', 'a', { v: 2, flag: false });
    await s.update('k', 'b', { v: 3, flag: true });
    await s.tx(async (ops) => {
      await ops.create('k', 'c', { v: 4, flag: true }, { uniq: 'uc' });
    });
    await assert.rejects(
      s.tx(async (ops) => {
        await ops.create('k', 'never', { v: 5 });
        throw new Error('rollback');
      }),
      /rollback/,
    );
    const before = await s.find('k');
    await s.close();
    assert.ok(existsSync(path));

    s = new SqliteStore(path);
    try {
      assert.deepEqual(await s.find('k'), before);
      assert.equal(await s.get('k', 'never'), undefined);
      assert.equal((await s.get('k', 'b'))!.rev, 2);
      assert.equal((await s.getByUniq('k', 'uc'))!.id, 'c');
      assert.deepEqual((await s.find('k', { where: { flag: true } })).map((r) => r.id), ['b', 'c']);
      await assert.rejects(s.create('k', 'x', {}, { uniq: 'ub' }), StoreConflict);
      // Creation order continues after the records that were already there.
      await s.create('k', '0', {});
      assert.deepEqual((await s.find('k')).map((r) => r.id), ['b', 'a', 'c', '0']);
    } finally {
      await s.close();
    }
  });

  it('records every migration once and reports the latest schema version', async () => {
    const path = join(tempDir(), 'stratus.db');
    let s = new SqliteStore(path);
    assert.equal(await s.schemaVersion(), LATEST_SCHEMA);
    await s.close();
    // Reopening applies nothing twice.
    s = new SqliteStore(path);
    assert.equal(await s.schemaVersion(), LATEST_SCHEMA);
    await s.close();

    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
        version: number;
        name: string;
        applied_at: number;
      }[];
      assert.deepEqual(
        rows.map((r) => [r.version, r.name]),
        MIGRATIONS.map((m) => [m.version, m.name]),
      );
      for (const r of rows) assert.ok(r.applied_at > 0);
      const mode = db.pragma('journal_mode', { simple: true });
      assert.equal(mode, 'wal');
    } finally {
      db.close();
    }
  });

  it('a database at an older schema is migrated forward on open', async () => {
    const path = join(tempDir(), 'stratus.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
    const first = MIGRATIONS[0]!;
    for (const sql of first.sql) db.exec(sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(first.version, first.name, Date.now());
    db.prepare('INSERT INTO records VALUES (?, ?, ?, ?, 1, 1, 1, 1)').run('k', 'old', null, JSON.stringify({ v: 'old' }));
    db.close();

    const s = new SqliteStore(path);
    try {
      assert.equal(await s.schemaVersion(), LATEST_SCHEMA);
      assert.deepEqual((await s.get('k', 'old'))!.data, { v: 'old' });
      await s.create('k', 'new', {});
      assert.deepEqual((await s.find('k')).map((r) => r.id), ['old', 'new']);
    } finally {
      await s.close();
    }
  });

  it('close waits for an open transaction to finish', async () => {
    const path = join(tempDir(), 'stratus.db');
    const s = new SqliteStore(path);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = s.tx(async (ops) => {
      await gate;
      await ops.create('k', 'late', {});
    });
    const closed = s.close();
    release();
    await t;
    await closed;
    const s2 = new SqliteStore(path);
    try {
      assert.equal((await s2.get('k', 'late'))!.id, 'late');
    } finally {
      await s2.close();
    }
  });
});

describe('openStore', () => {
  it('gives the memory store for :memory: and SQLite in a data dir', async () => {
    const m = openStore(':memory:');
    assert.equal(m.backend, 'memory');
    assert.equal(await m.schemaVersion(), LATEST_SCHEMA);
    await m.close();
    const dir = tempDir();
    const s = openStore(dir);
    assert.equal(s.backend, 'sqlite');
    await s.close();
    assert.ok(existsSync(join(dir, 'stratus.db')));
  });
});
