/**
 * Waiting for a condition instead of sleeping a fixed time: the one polling loop the test
 * harnesses share (`eventually` in kube.ts, `until` in kube-dataplane.ts and real-cloud.ts…).
 */
export interface PollOptions {
  timeoutMs: number;
  /** What is awaited, for the timeout's message. */
  what: string;
  /** Pause between two calls (default 50 ms). */
  everyMs?: number;
  /**
   * Whether a throwing `fn` counts as "not yet" (default true; the last error ends up in the
   * timeout's message). With false the first error is thrown at once.
   */
  retryErrors?: boolean;
  /**
   * Which values end the wait: `defined` (default) anything but undefined and false;
   * `truthy` any truthy value (0, '' and null keep waiting).
   */
  accept?: 'defined' | 'truthy';
}

/** Calls `fn` until it returns a value that ends the wait (see `accept`), or throws after `timeoutMs`. */
export async function pollUntil<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, o: PollOptions): Promise<T> {
  const end = Date.now() + o.timeoutMs;
  const retryErrors = o.retryErrors ?? true;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (o.accept === 'truthy' ? Boolean(v) : v !== undefined && v !== false) return v as T;
    } catch (e) {
      if (!retryErrors) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
  }
}
