import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import type { Store } from '../../../store/index.js';

export interface MetricDeps {
  store: Store;
  clock: Clock;
  log: Logger;
}

/** What every part of the metric logic shares. */
export class MetricContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  constructor(deps: MetricDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.log = deps.log;
  }
}
