import type { Clock } from '../../../core/clock.js';
import type { Stamp } from './models.js';

/**
 * Swift timestamps: strictly increasing within this process, so two writes in the same
 * millisecond still order (and X-Timestamp differs).
 */
export class Stamps {
  private last = 0;
  constructor(private readonly clock: Clock) {}

  next(): Stamp {
    let t = Math.round(this.clock.now() * 100) / 100_000;
    if (t <= this.last) t = Math.round((this.last + 0.00001) * 100_000) / 100_000;
    this.last = t;
    return formatStamp(t);
  }

  nowSeconds(): number {
    return this.clock.now() / 1000;
  }
}

export function formatStamp(seconds: number): Stamp {
  return seconds.toFixed(5).padStart(16, '0');
}

/** Last-Modified is whole seconds, rounded up as Swift does. */
export function lastModifiedSeconds(s: Stamp): number {
  return Math.ceil(Number(s));
}

export function httpDate(s: Stamp): string {
  return new Date(lastModifiedSeconds(s) * 1000).toUTCString();
}

/** Listing form: 2024-01-02T03:04:05.123450 (no zone, microseconds). */
export function listingDate(s: Stamp): string {
  const sec = Number(s);
  const whole = Math.floor(sec);
  const micros = Math.round((sec - whole) * 1e6);
  return new Date(whole * 1000).toISOString().replace(/\.\d{3}Z$/, '') + '.' + String(micros).padStart(6, '0');
}
