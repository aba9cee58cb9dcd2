/** Time source; tests may substitute a fixed clock. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** OpenStack timestamp with microseconds, e.g. 2026-01-01T00:00:00.000000Z (Keystone tokens). */
export function isoMicro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** OpenStack timestamp without fraction, e.g. 2026-01-01T00:00:00Z. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
