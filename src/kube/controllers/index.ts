import type { KubeApi } from '../api.js';
import type { Clock } from './clock.js';
import { RESOURCES, type ResourceCatalog } from '../resources.js';
import { cronJobController } from './cronjob.js';
import { daemonSetController } from './daemonset.js';
import { deploymentController } from './deployment.js';
import { disruptionController } from './disruption.js';
import { endpointsController } from './endpoints.js';
import { garbageCollector } from './gc.js';
import { InformerFactory, sleep } from './informer.js';
import { jobController } from './job.js';
import { namespaceController } from './namespace.js';
import { nodeLifecycleController } from './nodelifecycle.js';
import type { Controller, ControllerContext } from './objects.js';
import { replicaSetController } from './replicaset.js';
import { serviceAccountController } from './serviceaccount.js';
import { localVolumes } from '../storage/local-path.js';
import { persistentVolumeController } from '../storage/pv-controller.js';
import { resourceQuotaController } from '../storage/quota-controller.js';
import { statefulSetController } from './statefulset.js';

export interface ControllerOptions {
  log?: (m: string) => void;
  /** Lease silence after which a node turns Unknown and is tainted unreachable (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Eviction delay for pods with the default not-ready/unreachable toleration (default 300 s). */
  podEvictionTimeoutMs?: number;
  /** Every controller re-examines all its objects this often (default 5 min). */
  resyncMs?: number;
  /**
   * The nodes' data dirs (`<dataDir>/nodes`): enables the `stratus.io/local-path` provisioner
   * (volumes in `<dir>/<node>/storage/<pv>`) and its default StorageClass `standard`.
   */
  localVolumesDir?: string;
  /** Time source of the CronJob controller (tests pass a `FakeClock`). */
  clock?: Clock;
  /**
   * The cluster's kinds with the custom ones of CRDs: the garbage collector and the namespace
   * controller then cover custom objects too. Without it, only the static table.
   */
  catalog?: ResourceCatalog;
}

export interface RunningControllers {
  /** Stops informers and queues; resolves when in-flight work has finished. */
  stop(): Promise<void>;
  /**
   * Resolves when the caches have synced and no controller has work queued or running for a
   * short quiet period (tests use it instead of sleeping). Delayed retries don't count.
   */
  idle(): Promise<void>;
}

/**
 * The controller manager: Deployment, ReplicaSet, DaemonSet, Job, Endpoints/EndpointSlice,
 * Namespace, ServiceAccount (+ token Secrets), garbage collector, node lifecycle (+ pod GC),
 * PersistentVolume (+ local-path provisioner, claim/volume protection) and ResourceQuota,
 * all over one set of shared informers on the in-process API. Each controller is
 * level-triggered: informer events only enqueue keys; a sync reads the caches, acts through the
 * API with optimistic concurrency, and is retried with back-off on failure.
 *
 * @example
 * const controllers = startControllers(registry, { log: (m) => logger.info(m) });
 * // …
 * await controllers.stop();
 */
export function startControllers(api: KubeApi, opts: ControllerOptions = {}): RunningControllers {
  const log = opts.log ?? (() => undefined);
  const informers = new InformerFactory(api, log);
  const ctx: ControllerContext = {
    api,
    informers,
    log,
    kinds: () => opts.catalog?.all() ?? RESOURCES,
    onKindsChange: (listener) => opts.catalog?.onChange(listener) ?? (() => undefined),
    resyncMs: opts.resyncMs ?? 300_000,
    nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? 40_000,
    podEvictionTimeoutMs: opts.podEvictionTimeoutMs ?? 300_000,
  };
  const controllers: Controller[] = [
    deploymentController(ctx),
    replicaSetController(ctx),
    daemonSetController(ctx),
    statefulSetController(ctx),
    jobController(ctx),
    cronJobController(ctx, opts.clock),
    disruptionController(ctx),
    endpointsController(ctx),
    namespaceController(ctx),
    serviceAccountController(ctx),
    garbageCollector(ctx),
    nodeLifecycleController(ctx),
    persistentVolumeController(ctx, opts.localVolumesDir ? localVolumes(opts.localVolumesDir) : undefined),
    resourceQuotaController(ctx),
  ];
  const queues = controllers.flatMap((c) => c.queues);
  let stopped = false;
  informers.start();
  const ready = informers.synced().then(() => {
    if (stopped) return;
    for (const c of controllers) c.start();
    for (const q of queues) q.start();
  });
  const resync = setInterval(() => {
    for (const c of controllers) c.start();
  }, ctx.resyncMs);
  resync.unref();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(resync);
      for (const c of controllers) c.stop();
      await informers.stop();
      await Promise.all(queues.map((q) => q.drain()));
    },
    async idle() {
      await ready;
      for (let rounds = 0; rounds < 500 && !stopped; rounds++) {
        await Promise.all(queues.map((q) => q.idle()));
        const before = queues.reduce((s, q) => s + q.activity, 0);
        await sleep(30);
        const after = queues.reduce((s, q) => s + q.activity, 0);
        if (before === after && queues.every((q) => q.isIdle())) return;
      }
    },
  };
}
