import type { KubeApi, Watch } from '../../api.js';
import { KubeError } from '../../errors.js';
import { findResource } from '../../resources.js';
import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '../../selectors.js';
import type { KubeObject } from '../../types.js';
import { RBAC_GROUP } from './policy.js';

/**
 * The ClusterRole aggregation controller: a ClusterRole with `aggregationRule.
 * clusterRoleSelectors` gets as `rules` the union (first occurrence kept, in name order of the
 * source roles) of the rules of every other ClusterRole matching any selector. It follows all
 * ClusterRoles by watch and reconciles after each burst of changes, so aggregation chains
 * (`view` → `edit` → `admin`) settle in a few passes. Writes use the resourceVersion read, so
 * a concurrent change wins and triggers another pass.
 */
export interface AggregationController {
  /** Resolves after the first reconcile. */
  readonly synced: Promise<void>;
  stop(): void;
}

/** The aggregated rules of `role` over `all`, or undefined when it has no aggregationRule. */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): unknown[] | undefined {
  const rule = role.aggregationRule as { clusterRoleSelectors?: unknown } | undefined | null;
  if (!rule || typeof rule !== 'object') return undefined;
  const selectors: LabelSelector[] = [];
  for (const s of Array.isArray(rule.clusterRoleSelectors) ? rule.clusterRoleSelectors : []) {
    try {
      selectors.push(labelSelectorFromObject(s as never));
    } catch {
      // validation refuses bad selectors; an old stored one just selects nothing
    }
  }
  const out: unknown[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const sel of selectors) {
    for (const other of sorted) {
      if (other.metadata.name === role.metadata.name || !matchesLabels(sel, other.metadata.labels)) continue;
      for (const r of Array.isArray(other.rules) ? other.rules : []) {
        const key = JSON.stringify(r);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(r);
      }
    }
  }
  return out;
}

export function startAggregation(api: KubeApi, log: (line: string) => void = () => {}): AggregationController {
  const res = findResource(RBAC_GROUP, 'v1', 'clusterroles')!;
  let stopped = false;
  let scheduled = false;
  let running = false;
  let again = false;
  let watch: Watch | undefined;
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  async function reconcile(): Promise<void> {
    for (let pass = 0; pass < 10 && !stopped; pass++) {
      const all = (await api.list(res, undefined)).items;
      let changed = false;
      for (const role of all) {
        const rules = aggregatedRules(role, all);
        if (!rules || JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) continue;
        try {
          await api.update(res, undefined, role.metadata.name!, { ...role, rules });
          changed = true;
        } catch (e) {
          if (!(e instanceof KubeError) || (e.code !== 409 && e.code !== 404)) throw e;
          changed = true;
        }
      }
      if (!changed) return;
    }
  }

  function schedule(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      running = true;
      reconcile()
        .catch((e: Error) => log(`rbac: clusterrole aggregation failed: ${e.message}`))
        .finally(() => {
          running = false;
          markSynced();
          if (again) {
            again = false;
            schedule();
          }
        });
    });
  }

  void api
    .watch(res, undefined, {}, () => schedule())
    .then((w) => {
      if (stopped) w.stop();
      else watch = w;
      schedule();
    })
    .catch((e: Error) => {
      log(`rbac: watching clusterroles for aggregation failed: ${e.message}`);
      markSynced();
    });

  return {
    synced,
    stop() {
      stopped = true;
      watch?.stop();
      markSynced();
    },
  };
}
