import type { KubeObject } from '../types.js';
import { condition, spec, status } from './objects.js';

/** Pod state as the workload controllers read it (upstream `podutil`). */

export function podPhase(pod: KubeObject): string {
  return String(status(pod).phase ?? 'Pending');
}

/** Not terminating and not finished: counts towards a controller's replicas. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isPodReady(pod: KubeObject): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least `minReadySeconds` (the Ready condition's lastTransitionTime), at `now`. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now = Date.now()): boolean {
  const ready = condition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined when not applicable. */
export function msUntilAvailable(pod: KubeObject, minReadySeconds: number, now = Date.now()): number | undefined {
  const ready = condition(pod, 'Ready');
  if (ready?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  if (!Number.isFinite(since)) return undefined;
  const left = since + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

/**
 * Order for choosing pods to delete when scaling down (first = deleted first), like upstream's
 * ActivePods ranking: unscheduled before scheduled, Pending before Unknown before Running,
 * not ready before ready, ready for less time first, more restarts first, newer first.
 */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const assigned = (p: KubeObject) => (spec(p).nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const rank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const pa = rank[podPhase(a)] ?? 0;
  const pb = rank[podPhase(b)] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra && rb) {
    const ta = Date.parse(condition(a, 'Ready')?.lastTransitionTime ?? '') || 0;
    const tb = Date.parse(condition(b, 'Ready')?.lastTransitionTime ?? '') || 0;
    if (ta !== tb) return tb - ta;
  }
  const restarts = (p: KubeObject) =>
    ((status(p).containerStatuses as { restartCount?: number }[] | undefined) ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const cb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ca !== cb) return cb - ca;
  return (b.metadata.name ?? '') < (a.metadata.name ?? '') ? -1 : 1;
}

/**
 * Creations and deletions a controller issued and has not yet seen through its informer
 * (upstream's ControllerExpectations). While a key has outstanding expectations its controller
 * must not decide on counts again, or it would create the same pods twice. Expectations expire
 * after `ttlMs` so a lost event can't wedge a controller.
 */
export class Expectations {
  private readonly pending = new Map<string, { adds: number; dels: Set<string>; at: number }>();

  constructor(private readonly ttlMs = 30_000) {}

  expect(key: string, adds: number, delUids: string[]): void {
    const cur = this.pending.get(key) ?? { adds: 0, dels: new Set<string>(), at: Date.now() };
    cur.adds += adds;
    for (const u of delUids) cur.dels.add(u);
    cur.at = Date.now();
    this.pending.set(key, cur);
  }

  observedAdd(key: string): void {
    const cur = this.pending.get(key);
    if (cur && cur.adds > 0) cur.adds--;
  }

  observedDelete(key: string, uid: string): void {
    this.pending.get(key)?.dels.delete(uid);
  }

  satisfied(key: string): boolean {
    const cur = this.pending.get(key);
    if (!cur) return true;
    if ((cur.adds <= 0 && cur.dels.size === 0) || Date.now() - cur.at > this.ttlMs) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
