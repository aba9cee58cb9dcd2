import { nftScript, type Runner } from '../../dataplane/exec.js';
import type { KubeApi } from '../api.js';
import { Informer } from '../controllers/informer.js';
import { findResource } from '../resources.js';
import { proxyPorts, removeProxyTable, renderProxyTable, type ProxyPort } from './rules.js';

export { PROXY_TABLE, proxyPorts, renderProxyTable, type ProxyPort } from './rules.js';

const SERVICES = findResource('', 'v1', 'services')!;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

export interface KubeProxyOptions {
  api: KubeApi;
  /** The node's network namespace name (where `ip kube-proxy` lives). */
  netns: string;
  nodeName: string;
  /** Addresses where NodePorts answer. */
  nodeAddresses: string[];
  clusterCidr: string;
  runner: Runner;
  /** Coalescing delay after a change before the table is rewritten (default 10 ms). */
  debounceMs?: number;
  log?: (m: string) => void;
}

export interface KubeProxy {
  /** Counters: syncs done, last sync's duration, and when the last sync finished (epoch ms). */
  readonly stats: { syncs: number; failures: number; lastSyncMs: number; lastSyncAt: number };
  /** The ports programmed by the last successful sync. */
  readonly programmed: ProxyPort[];
  /** Resolves after the next sync that starts after this call has finished. */
  flush(): Promise<void>;
  /** Stops watching and removes the table. */
  stop(): Promise<void>;
}

/**
 * kube-proxy's role on one node, nftables mode: watches Services and EndpointSlices through
 * the in-process API and rewrites the node's `ip kube-proxy` table in one `nft -f -`
 * transaction per change (changes arriving within `debounceMs` are coalesced; a sync never
 * overlaps another). A failed sync is logged and retried after 1 s.
 */
export async function startKubeProxy(o: KubeProxyOptions): Promise<KubeProxy> {
  const log = o.log ?? (() => {});
  const say = (m: string) => log(`kube-proxy ${o.nodeName}: ${m}`);
  const svcs = new Informer(o.api, SERVICES, say);
  const slices = new Informer(o.api, SLICES, say);
  const stats = { syncs: 0, failures: 0, lastSyncMs: 0, lastSyncAt: 0 };
  let programmed: ProxyPort[] = [];
  let lastScript = '';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const sync = async () => {
    const t0 = performance.now();
    const ports = proxyPorts(svcs.list(), slices.list());
    const script = renderProxyTable(ports, { nodeAddresses: o.nodeAddresses, clusterCidr: o.clusterCidr });
    if (script !== lastScript) {
      await o.runner.run(nftScript(o.netns, script));
      lastScript = script;
    }
    programmed = ports;
    stats.syncs++;
    stats.lastSyncMs = performance.now() - t0;
    stats.lastSyncAt = Date.now();
  };
  const kick = (delay = o.debounceMs ?? 10) => {
    dirty = true;
    if (stopped || timer || running) return;
    timer = setTimeout(() => {
      timer = undefined;
      dirty = false;
      const done = waiters;
      waiters = [];
      let failed = false;
      running = sync()
        .catch((e: Error) => {
          failed = true;
          stats.failures++;
          say(`sync failed: ${e.message}; retrying in 1 s`);
          dirty = true;
        })
        .finally(() => {
          running = undefined;
          for (const w of done) w();
          if (dirty) kick(failed ? 1000 : undefined);
        });
    }, delay);
  };
  svcs.addHandler(() => kick());
  slices.addHandler(() => kick());
  svcs.start();
  slices.start();
  await Promise.all([svcs.synced, slices.synced]);
  await sync();
  say(`programming table ip kube-proxy in ${o.netns} (${programmed.length} service ports)`);

  return {
    stats,
    get programmed() {
      return programmed;
    },
    flush: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        kick(0);
      }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
      await Promise.all([svcs.stop(), slices.stop()]);
      await running;
      await o.runner.run({ ...nftScript(o.netns, removeProxyTable()), mayFail: true });
    },
  };
}
