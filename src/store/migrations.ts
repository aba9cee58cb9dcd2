/**
 * Versioned schema migrations. Each runs once, in order, inside a transaction, and the applied
 * version is recorded in `schema_migrations`. Never edit a released migration: add a new one.
 * The SQL is kept to what PostgreSQL also accepts, apart from json_extract (->> there).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'records',
    sql: [
      `CREATE TABLE records (
         kind TEXT NOT NULL,
         id TEXT NOT NULL,
         uniq TEXT,
         data TEXT NOT NULL,
         rev INTEGER NOT NULL,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         seq INTEGER NOT NULL,
         PRIMARY KEY (kind, id)
       )`,
      `CREATE UNIQUE INDEX records_uniq ON records (kind, uniq) WHERE uniq IS NOT NULL`,
      `CREATE INDEX records_seq ON records (kind, seq)`,
    ],
  },
  {
    version: 2,
    name: 'identity lookup indexes',
    sql: [
      `CREATE INDEX records_project ON records (kind, json_extract(data, '$.projectId'))`,
      `CREATE INDEX records_user ON records (kind, json_extract(data, '$.userId'))`,
    ],
  },
];

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;
