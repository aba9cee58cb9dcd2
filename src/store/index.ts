import { join } from 'node:path';
import { MemoryStore } from './memory/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

export * from './store.js';

/** Opens the store for a data dir; `:memory:` gives the in-memory store. */
export function openStore(dataDir: string): Store {
  if (dataDir === ':memory:') return new MemoryStore();
  return new SqliteStore(join(dataDir, 'stratus.db'));
}
export * from './repo.js';
