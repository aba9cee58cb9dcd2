import type { Clock } from '../../../core/clock.js';
import { conflict, notFound } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import { RecordRepo, type Store } from '../../../store/index.js';

export interface IdentityConfig {
  /** Token lifetime in seconds (Keystone's default is 3600). */
  tokenTtl: number;
  region: string;
  adminPassword: string;
}

/**
 * Shared state of the identity logic: the store, the event bus, and a memo of derived facts
 * (effective roles, the catalog) that every identity write clears. Token validation reads only
 * the memo once it is warm.
 */
export class IdentityContext {
  private memo = new Map<string, unknown>();
  private generation = 0;

  constructor(
    readonly store: Store,
    readonly events: EventBus,
    readonly clock: Clock,
    readonly config: IdentityConfig,
    readonly log: Logger,
  ) {}

  async cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const gen = this.generation;
    const v = await compute();
    if (gen === this.generation) {
      if (this.memo.size > 20_000) this.memo.clear();
      this.memo.set(key, v);
    }
    return v;
  }

  /** Record that identity data changed: drop derived facts and tell subscribers. */
  changed(kind: string, action: 'created' | 'updated' | 'deleted', id: string): void {
    this.generation++;
    this.memo.clear();
    this.events.publish({ service: 'identity', kind, action, id });
  }
}

/** Typed access to one kind of identity record, with Keystone's not-found and conflict errors. */
export class Repo<T extends { id: string }> extends RecordRepo<T> {
  constructor(
    ctx: IdentityContext,
    kind: string,
    /** Human name used in errors: "Could not find project: X." */
    readonly what: string,
    uniqOf?: (t: T) => string | null,
    describeConflict?: (t: T) => string,
  ) {
    super(ctx.store, kind, {
      missing: (id) => notFound(what, id),
      ...(uniqOf ? { uniqOf } : {}),
      conflict: (t) => conflict(`Conflict occurred attempting to store ${what} - ${describeConflict?.(t) ?? `Duplicate ID, ${t.id}.`}`, 'Conflict'),
      // Every identity write drops derived facts (memo) and is published.
      changed: (action, id) => ctx.changed(kind, action, id),
    });
  }
}
