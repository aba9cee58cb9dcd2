// Child process of store.test.ts: writes ConfigMaps as fast as it can and prints "ack <name>"
// after each write returned; the parent kills it with SIGKILL mid-stream.
import { openRegistry } from '../../src/kube/apiserver/registry.js';
import { findResource } from '../../src/kube/resources.js';

const dir = process.argv[2]!;
const reg = await openRegistry({ dataDir: dir });
const NS = findResource('', 'v1', 'namespaces')!;
const CM = findResource('', 'v1', 'configmaps')!;
await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
for (let i = 0; ; i++) {
  const name = `c${i}`;
  await reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
  if (i > 0) await reg.update(CM, 'default', `c${i - 1}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i - 1}` }, data: { i: String(i - 1), updated: 'yes' } });
  process.stdout.write(`ack ${name}\n`);
}
