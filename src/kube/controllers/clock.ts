/**
 * The time source of controllers that act at wall-clock times (CronJob). Production uses the
 * system clock; tests inject a {@link FakeClock} and move it, instead of waiting for minutes.
 */
export interface Clock {
  now(): number;
  /** Registers a callback run after the clock jumps (fake clocks only), so controllers look again. */
  onJump?(listener: () => void): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told to move. */
export class FakeClock implements Clock {
  private readonly listeners: (() => void)[] = [];

  constructor(private t = Date.now()) {}

  now(): number {
    return this.t;
  }

  /** Moves the clock forward by `ms` and tells the controllers. */
  advance(ms: number): void {
    this.t += ms;
    for (const l of this.listeners) l();
  }

  onJump(listener: () => void): void {
    this.listeners.push(listener);
  }
}
