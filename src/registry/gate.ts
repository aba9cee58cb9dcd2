/**
 * A shared/exclusive gate: any number of `shared` sections run together; an `exclusive` one waits
 * for those running to finish, holds new ones back, and runs alone. The registry's pushes that
 * create references (a commit, a mount, a manifest put) are shared; garbage collection is
 * exclusive, so it never deletes a blob between a push's check and its write.
 * Sections must not nest (a shared section inside another deadlocks behind a waiting exclusive).
 */
export class Gate {
  private shared = 0;
  private closed: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  async share<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.shared++;
    try {
      return await fn();
    } finally {
      if (--this.shared === 0) this.drained?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise<void>((r) => (open = r));
    try {
      if (this.shared > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = null;
      return await fn();
    } finally {
      this.closed = null;
      open();
    }
  }
}
