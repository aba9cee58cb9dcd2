/** FIFO async mutex: `run` executes critical sections one at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  get busy(): boolean {
    return this.depth > 0;
  }

  run<R>(fn: () => Promise<R> | R): Promise<R> {
    this.depth++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => this.depth--,
      () => this.depth--,
    );
    return result;
  }
}
