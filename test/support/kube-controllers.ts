import type { TestContext } from 'node:test';
import type { KubeApi } from '../../src/kube/api.js';
import { bootstrapCluster, openRegistry } from '../../src/kube/apiserver/registry.js';
import { startControllers, type ControllerOptions } from '../../src/kube/controllers/index.js';
import { createNode, startFakeKubelet, type FakeKubelet } from '../../src/kube/controllers/testing.js';
import { startScheduler } from '../../src/kube/scheduler/index.js';

/**
 * An in-memory cluster for controller tests: a bootstrapped registry, `nodes` nodes (default
 * 2: node-1, node-2), the controllers, the scheduler and (unless `kubelet: false`) a fake
 * kubelet, all stopped after the test. `idle` waits until the controllers have nothing queued.
 */
export async function controllerCluster(
  t: TestContext,
  opts: { kubelet?: boolean; nodes?: number; controllers?: ControllerOptions } = {},
): Promise<{ api: KubeApi; kubelet?: FakeKubelet; idle: () => Promise<void> }> {
  const api = await openRegistry({ dataDir: ':memory:' });
  await bootstrapCluster(api, { apiServerIp: '127.0.0.1', apiServerPort: 6443 });
  for (let i = 1; i <= (opts.nodes ?? 2); i++) await createNode(api, `node-${i}`);
  const controllers = startControllers(api, opts.controllers);
  const scheduler = startScheduler(api);
  const kubelet = opts.kubelet === false ? undefined : await startFakeKubelet(api);
  t.after(async () => {
    await kubelet?.stop();
    await scheduler.stop();
    await controllers.stop();
    await api.close();
  });
  return { api, kubelet, idle: () => controllers.idle() };
}
