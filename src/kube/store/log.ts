import Database from 'better-sqlite3';

/** One row of the change log: every write of any object is one row, `rev` = resourceVersion. */
export interface LogRow {
  rev: number;
  key: string;
  /** 0 = created, 1 = modified, 2 = deleted (the value is the last state, with the new rev). */
  type: 0 | 1 | 2;
  value: string;
}

/**
 * The durable half of the Kubernetes store: an append-only change log in SQLite, kine's idea
 * (one row per revision) in our own schema. better-sqlite3 is synchronous, every append is its
 * own transaction, and the database runs in WAL mode with `synchronous=FULL`, so a write that
 * returned survives `kill -9` and power loss.
 *
 * Compaction (`compact(c)`) keeps, for each key, the newest row at or below `c` (the state a
 * watcher resuming at `c` needs to compute selector transitions) unless that row is a
 * deletion, and every row above `c`. `c` is remembered, so a reopened store knows which
 * revisions it can no longer replay.
 */
export class ChangeLog {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly setMetaStmt: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kube_log (
        rev INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        type INTEGER NOT NULL,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS kube_log_key ON kube_log (key, rev);
      CREATE TABLE IF NOT EXISTS kube_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.insertStmt = this.db.prepare('INSERT INTO kube_log (rev, key, type, value) VALUES (?, ?, ?, ?)');
    this.setMetaStmt = this.db.prepare('INSERT INTO kube_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
  }

  /** Durable when it returns (one implicit transaction, fsync'd by synchronous=FULL). */
  append(row: LogRow): void {
    this.insertStmt.run(row.rev, row.key, row.type, row.value);
  }

  /** Every stored row in revision order (used once, at open). */
  *rows(): IterableIterator<LogRow> {
    const stmt = this.db.prepare('SELECT rev, key, type, value FROM kube_log ORDER BY rev');
    for (const r of stmt.iterate() as IterableIterator<LogRow>) yield r;
  }

  /** Revision at and below which history was compacted away (0 = none). */
  compactedRevision(): number {
    const row = this.db.prepare("SELECT value FROM kube_meta WHERE name = 'compact_rev'").get() as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  compact(c: number): void {
    this.db.transaction(() => {
      // Superseded rows at or below c: another row of the same key exists at or below c.
      this.db
        .prepare('DELETE FROM kube_log WHERE rev <= ? AND rev < (SELECT MAX(l2.rev) FROM kube_log l2 WHERE l2.key = kube_log.key AND l2.rev <= ?)')
        .run(c, c);
      // A deletion at or below c leaves nothing a resuming watcher needs.
      this.db.prepare('DELETE FROM kube_log WHERE rev <= ? AND type = 2').run(c);
      this.setMetaStmt.run('compact_rev', String(c));
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
