import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireTools } from '../support/proc.js';
import { eventually, startTestKube } from '../support/kube.js';

// Custom objects take part in garbage collection and namespace deletion like built-in ones:
// owners and dependents across kinds, background and foreground cascades, and a namespace
// that waits for its custom objects' finalizers.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

const widget = (name: string, ns = 'default', extra = '') => `apiVersion: example.com/v1
kind: Widget
metadata:
  name: ${name}
  namespace: ${ns}
${extra}`;

/** A ConfigMap owned by the object with `uid`. */
const ownedConfigMap = (name: string, owner: string, uid: string, block = false) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  ownerReferences:
  - {apiVersion: example.com/v1, kind: Widget, name: ${owner}, uid: ${uid}${block ? ', blockOwnerDeletion: true' : ''}}
data: {k: v}
`;

test('custom objects: garbage collection of dependents and owners, foreground cascade, namespace deletion', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 0 });
  await k.ok(['apply', '-f', '-'], { stdin: CRD });
  await k.ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s']);
  const uidOf = (kind: string, name: string, ns = 'default') => k.ok(['get', kind, name, '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
  const gone = (kind: string, name: string, ns = 'default') =>
    eventually(async () => /NotFound/.test((await k.kubectl(['get', kind, name, '-n', ns])).stderr), 10_000, `${kind} ${name} gone`);

  // Background: deleting a custom owner collects its built-in dependent.
  await k.ok(['apply', '-f', '-'], { stdin: widget('a') });
  await k.ok(['apply', '-f', '-'], { stdin: ownedConfigMap('of-a', 'a', await uidOf('widget', 'a')) });
  await k.ok(['delete', 'widget', 'a']);
  await gone('configmap', 'of-a');

  // A custom dependent of a built-in owner is collected too.
  await k.ok(['create', 'configmap', 'owner', '--from-literal=x=1']);
  const cmUid = await uidOf('configmap', 'owner');
  await k.ok(['apply', '-f', '-'], { stdin: widget('child', 'default', `  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${cmUid}}\n`) });
  await k.ok(['delete', 'configmap', 'owner']);
  await gone('widget', 'child');

  // Foreground: the owner waits for its blocking dependent, then both are gone.
  await k.ok(['apply', '-f', '-'], { stdin: widget('b') });
  await k.ok(['apply', '-f', '-'], { stdin: ownedConfigMap('of-b', 'b', await uidOf('widget', 'b'), true) });
  await k.ok(['delete', 'widget', 'b', '--cascade=foreground', '--timeout=20s']);
  await gone('configmap', 'of-b');
  await gone('widget', 'b');

  // A namespace is not removed while a custom object in it still has a finalizer.
  await k.ok(['create', 'namespace', 'scratch']);
  await k.ok(['apply', '-f', '-'], { stdin: widget('held', 'scratch', '  finalizers: [example.com/hold]\n') });
  await k.ok(['apply', '-f', '-'], { stdin: widget('plain', 'scratch') });
  await k.ok(['delete', 'namespace', 'scratch', '--wait=false']);
  await gone('widget', 'plain', 'scratch');
  const ns = JSON.parse(await k.ok(['get', 'namespace', 'scratch', '-o', 'json'])) as { status: { phase: string; conditions?: { type: string; message: string }[] } };
  assert.equal(ns.status.phase, 'Terminating');
  await eventually(async () => {
    const cur = JSON.parse(await k.ok(['get', 'namespace', 'scratch', '-o', 'json'])) as typeof ns;
    return cur.status.conditions?.some((c) => c.type === 'NamespaceContentRemaining' && /widgets\.example\.com has 1 resource instances/.test(c.message));
  }, 10_000, 'the namespace names the custom object it waits for');
  await k.ok(['patch', 'widget', 'held', '-n', 'scratch', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await gone('namespace', 'scratch');
});
