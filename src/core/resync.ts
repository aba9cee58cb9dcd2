/**
 * The period of the real drivers' self-repair loops: `STRATUS_RESYNC_MS` (milliseconds; 0 = off),
 * else 10 s (also for a blank, negative or non-numeric value).
 * NOTE: read from the environment rather than the config because it is a test and tuning knob
 * of the real data plane only (the probe tests use 1 s); the fake drivers have nothing to repair.
 */
export function resyncFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.STRATUS_RESYNC_MS;
  const n = v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 10_000;
}
