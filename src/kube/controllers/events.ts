import { randomBytes } from 'node:crypto';
import type { KubeApi } from '../api.js';
import { RESOURCES } from '../resources.js';
import { kubeTime, type KubeObject } from '../types.js';

const EVENTS = RESOURCES.find((r) => r.group === '' && r.resource === 'events')!;

/**
 * Writes core/v1 Events the way upstream recorders do: `metadata.name` `<object>.<hex>`,
 * `involvedObject`, `source.component`, `reportingComponent`, and repeats of the same
 * (object, type, reason, message) folded into one Event whose `count` and `lastTimestamp` grow.
 * Recording never fails the caller: errors (a namespace being deleted…) are logged and dropped.
 */
export class EventRecorder {
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: string }>();

  constructor(
    private readonly api: KubeApi,
    private readonly component: string,
    private readonly log: (m: string) => void,
  ) {}

  normal(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Warning', reason, message);
  }

  /** Resolves once written (tests and shutdown use it; controllers fire and forget). */
  async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace || 'default';
    const now = kubeTime();
    const aggKey = `${obj.metadata.uid}\u0000${type}\u0000${reason}\u0000${message}`;
    const prev = this.seen.get(aggKey);
    const involvedObject: Record<string, unknown> = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (!obj.metadata.namespace) delete involvedObject.namespace;
    const body = (name: string, count: number, first: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: { component: this.component },
      firstTimestamp: first,
      lastTimestamp: now,
      count,
      reportingComponent: this.component,
      reportingInstance: this.component,
    });
    try {
      if (prev) {
        prev.count++;
        try {
          await this.api.update(EVENTS, prev.namespace, prev.name, body(prev.name, prev.count, prev.first));
          return;
        } catch {
          // The Event was removed (TTL, namespace deletion…): write a new one below.
        }
      }
      const name = `${obj.metadata.name}.${randomBytes(8).toString('hex')}`;
      await this.api.create(EVENTS, namespace, body(name, 1, now));
      this.seen.set(aggKey, { name, namespace, count: 1, first: now });
      if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
    } catch (err) {
      this.log(`event ${reason} for ${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
    }
  }
}
