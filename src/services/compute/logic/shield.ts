import { StratusError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';

/**
 * Wraps a port so that a failure inside another service that is not one of its domain errors
 * (a bug, a service not ready yet) reaches compute's callers as a clear 400 naming the
 * service, never as a 500. Domain errors (404, 409, …) pass through unchanged.
 */
export function shield<T extends object>(port: T, service: string, log: Logger): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (e) {
          if (e instanceof StratusError && e.status < 500) throw e;
          log.error(`${service} service failed in ${String(prop)}: ${(e as Error)?.stack ?? String(e)}`);
          throw new StratusError('BadRequest', `${service} service unavailable: ${(e as Error)?.message ?? String(e)}`, 'ServiceUnavailable');
        }
      };
    },
  });
}
