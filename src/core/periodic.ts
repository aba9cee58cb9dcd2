/**
 * A background pass that never overlaps itself: `run()` starts one pass, or joins the pass in
 * progress; `start(ms)` runs it every `ms` (the first pass after one interval; the timer never
 * keeps the process alive); `stop()` ends the timer and waits for a pass in progress.
 * Errors of timed passes go to `onError`; callers of `run()` see their own.
 */
export class SingleFlightTimer<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly onError: (e: unknown) => void,
  ) {}

  run(): Promise<T> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Starts the timer; does nothing when it runs already or `intervalMs` is not positive. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.run().catch(this.onError);
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
