import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Mutex } from '../../core/mutex.js';
import { MIGRATIONS } from '../migrations.js';
import {
  deepFreeze,
  StoreConflict,
  StoreNotFound,
  StoreRevisionMismatch,
  type Query,
  type Store,
  type StoreOps,
  type StoredRecord,
  type Where,
  type WriteOptions,
} from '../store.js';

interface Row {
  kind: string;
  id: string;
  uniq: string | null;
  data: string;
  rev: number;
  created_at: number;
  updated_at: number;
}

const FIELD_RE = /^[A-Za-z0-9_]+$/;

/**
 * SQLite store (better-sqlite3, WAL, synchronous=FULL so an acknowledged write survives a
 * crash or power cut). One connection; transactions are serialized with a mutex, and plain
 * operations queue behind an open transaction so they never observe uncommitted writes.
 */
// NOTE: better-sqlite3 is synchronous; the async interface keeps PostgreSQL possible later,
// and the calls complete in microseconds so the event loop is not held up in practice.
export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly lock = new Mutex();
  private seq = 0;
  private readonly stmts: {
    get: Database.Statement;
    getUniq: Database.Statement;
    insert: Database.Statement;
    update: Database.Statement;
    del: Database.Statement;
  };
  private readonly findCache = new Map<string, Database.Statement>();
  /**
   * Frozen `data` of records read with `shared`, by `kind\0id`, with the JSON text it was parsed
   * from: a row whose text is unchanged reuses the object instead of parsing again. Comparing
   * the text (not the revision) keeps it right across rolled-back transactions and re-created
   * ids; deletes drop entries so the map holds only records that exist (or existed in a
   * rolled-back transaction's view, harmlessly).
   */
  private readonly sharedData = new Map<string, { text: string; data: unknown }>();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM records').get() as { s: number }).s;
    this.stmts = {
      get: this.db.prepare('SELECT * FROM records WHERE kind = ? AND id = ?'),
      getUniq: this.db.prepare('SELECT * FROM records WHERE kind = ? AND uniq = ?'),
      insert: this.db.prepare(
        'INSERT INTO records (kind, id, uniq, data, rev, created_at, updated_at, seq) VALUES (?, ?, ?, ?, 1, ?, ?, ?)',
      ),
      update: this.db.prepare(
        'UPDATE records SET uniq = ?, data = ?, rev = rev + 1, updated_at = ? WHERE kind = ? AND id = ?',
      ),
      del: this.db.prepare('DELETE FROM records WHERE kind = ? AND id = ?'),
    };
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
    const done = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      this.db.transaction(() => {
        for (const sql of m.sql) this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      })();
    }
  }

  async schemaVersion(): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  }

  private readonly ops: StoreOps = {
    get: async <T>(kind: string, id: string) => toRecord<T>(this.stmts.get.get(kind, id) as Row | undefined),
    getByUniq: async <T>(kind: string, uniq: string) =>
      toRecord<T>(this.stmts.getUniq.get(kind, uniq) as Row | undefined),
    find: async <T>(kind: string, q: Query = {}) =>
      q.shared ? this.findRows(kind, q).map((r) => this.sharedRecord<T>(r)) : this.findRows(kind, q).map((r) => toRecord<T>(r)!),
    count: async (kind: string, q: Query = {}) => this.findRows(kind, q).length,
    create: async <T>(kind: string, id: string, data: T, opts: WriteOptions = {}) => {
      const now = Date.now();
      const uniq = opts.uniq ?? null;
      try {
        this.stmts.insert.run(kind, id, uniq, JSON.stringify(data), now, now, ++this.seq);
      } catch (e) {
        throw this.mapConstraint(e, kind, id, uniq);
      }
      return { kind, id, data, uniq, rev: 1, createdAt: now, updatedAt: now };
    },
    update: async <T>(kind: string, id: string, data: T, opts: WriteOptions = {}) => {
      const cur = this.stmts.get.get(kind, id) as Row | undefined;
      if (!cur) throw new StoreNotFound(kind, id);
      if (opts.ifRev !== undefined && opts.ifRev !== cur.rev) throw new StoreRevisionMismatch(kind, id, opts.ifRev, cur.rev);
      const uniq = opts.uniq === undefined ? cur.uniq : opts.uniq;
      const now = Date.now();
      try {
        this.stmts.update.run(uniq, JSON.stringify(data), now, kind, id);
        this.sharedData.delete(`${kind}\0${id}`);
      } catch (e) {
        throw this.mapConstraint(e, kind, id, uniq);
      }
      return { kind, id, data, uniq, rev: cur.rev + 1, createdAt: cur.created_at, updatedAt: now };
    },
    delete: async (kind: string, id: string) => {
      this.sharedData.delete(`${kind}\0${id}`);
      return this.stmts.del.run(kind, id).changes > 0;
    },
    deleteWhere: async (kind: string, where: Where) => {
      const prefix = `${kind}\0`;
      for (const k of this.sharedData.keys()) if (k.startsWith(prefix)) this.sharedData.delete(k);
      const { sql, params } = buildWhere(kind, { where });
      return this.db.prepare(`DELETE FROM records WHERE ${sql}`).run(...params).changes;
    },
  };

  private sharedRecord<T>(r: Row): StoredRecord<T> {
    const key = `${r.kind}\0${r.id}`;
    let hit = this.sharedData.get(key);
    if (!hit || hit.text !== r.data) this.sharedData.set(key, (hit = { text: r.data, data: deepFreeze(JSON.parse(r.data)) }));
    return { kind: r.kind, id: r.id, uniq: r.uniq, data: hit.data as T, rev: r.rev, createdAt: r.created_at, updatedAt: r.updated_at };
  }

  private findRows(kind: string, q: Query): Row[] {
    const { sql, params } = buildWhere(kind, q);
    const text = `SELECT * FROM records WHERE ${sql} ORDER BY seq${q.limit !== undefined ? ' LIMIT ' + Math.max(0, Math.floor(q.limit)) : ''}`;
    let stmt = this.findCache.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      if (this.findCache.size < 500) this.findCache.set(text, stmt);
    }
    return stmt.all(...params) as Row[];
  }

  private mapConstraint(e: unknown, kind: string, id: string, uniq: string | null): Error {
    const msg = (e as Error).message ?? '';
    if (/UNIQUE constraint failed: records\.kind, records\.uniq/.test(msg)) return new StoreConflict(kind, 'uniq', uniq ?? '');
    if (/UNIQUE constraint failed|PRIMARY KEY/.test(msg)) return new StoreConflict(kind, 'id', id);
    return e as Error;
  }

  // Plain operations wait for any open transaction so they never see its uncommitted writes.
  private guard<A extends unknown[], R>(fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
    return (...a: A) => (this.lock.busy ? this.lock.run(() => fn(...a)) : fn(...a));
  }
  get = this.guard(this.ops.get) as StoreOps['get'];
  getByUniq = this.guard(this.ops.getByUniq) as StoreOps['getByUniq'];
  find = this.guard(this.ops.find) as StoreOps['find'];
  count = this.guard(this.ops.count);
  create = this.guard(this.ops.create) as StoreOps['create'];
  update = this.guard(this.ops.update) as StoreOps['update'];
  delete = this.guard(this.ops.delete);
  deleteWhere = this.guard(this.ops.deleteWhere);

  tx<R>(fn: (ops: StoreOps) => Promise<R>): Promise<R> {
    return this.lock.run(async () => {
      const seqBefore = this.seq;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(this.ops);
        this.db.exec('COMMIT');
        return r;
      } catch (e) {
        this.db.exec('ROLLBACK');
        this.seq = Math.max(seqBefore, this.seq);
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    await this.lock.run(async () => undefined);
    if (this.db.open) this.db.close();
  }
}

function buildWhere(kind: string, q: Query): { sql: string; params: unknown[] } {
  const parts = ['kind = ?'];
  const params: unknown[] = [kind];
  for (const [field, v] of Object.entries(q.where ?? {})) {
    if (!FIELD_RE.test(field)) throw new Error(`invalid field name ${field}`);
    if (v === null) parts.push(`json_extract(data, '$.${field}') IS NULL`);
    // json_extract gives 1/0 for JSON true/false, so a plain comparison let `true` match the
    // number 1 (and 1 match true); compare the JSON type for booleans and numbers.
    else if (typeof v === 'boolean') parts.push(`json_type(data, '$.${field}') = '${v ? 'true' : 'false'}'`);
    else if (typeof v === 'number') {
      parts.push(`json_extract(data, '$.${field}') = ? AND json_type(data, '$.${field}') IN ('integer', 'real')`);
      params.push(v);
    } else {
      parts.push(`json_extract(data, '$.${field}') = ?`);
      params.push(v);
    }
  }
  if (q.ids) {
    if (q.ids.length === 0) parts.push('0');
    else {
      parts.push(`id IN (${q.ids.map(() => '?').join(',')})`);
      params.push(...q.ids);
    }
  }
  return { sql: parts.join(' AND '), params };
}

function toRecord<T>(r: Row | undefined): StoredRecord<T> | undefined {
  if (!r) return undefined;
  return {
    kind: r.kind,
    id: r.id,
    uniq: r.uniq,
    data: JSON.parse(r.data) as T,
    rev: r.rev,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
