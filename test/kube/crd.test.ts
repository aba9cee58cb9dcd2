import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startKubeCluster } from '../../src/kube/cluster.js';
import { findResource } from '../../src/kube/resources.js';
import { requireTools } from '../support/proc.js';
import { startTestKube } from '../support/kube.js';

// CustomResourceDefinitions with the real kubectl against an in-process cluster: the CronTab
// example of the Kubernetes docs (short name ct, printer columns, status and scale
// subresources), its objects through every kubectl path, deletion and a restart.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.labelSelector
    additionalPrinterColumns:
    - name: Spec
      type: string
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Image
      type: string
      priority: 1
      jsonPath: .spec.image
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec:
                type: string
                pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
              image:
                type: string
                default: busybox
              replicas:
                type: integer
                minimum: 1
                maximum: 10
              mode:
                type: string
                enum: [Fast, Slow]
          status:
            type: object
            properties:
              replicas: {type: integer}
              labelSelector: {type: string}
`;

const TAB = (name: string, extra = '') => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
  cronSpec: "* * * * */5"
  replicas: 2
${extra}`;

test('CustomResourceDefinitions with kubectl: establish, serve, validate, delete, restart', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 0 });

  // A CRD that breaks the rules: 422 with upstream's field causes.
  const bad = await k.kubectl(['apply', '-f', '-'], { stdin: CRD.replace('name: crontabs.stable.example.com', 'name: crontab.stable.example.com').replace('storage: true', 'storage: false') });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /CustomResourceDefinition "crontab.stable.example.com" is invalid/);
  assert.match(bad.stderr, /metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural\+"\."\+spec.group/);
  assert.match(bad.stderr, /must have exactly one version marked as storage version/);

  await k.ok(['apply', '-f', k.manifest('crd.yaml', CRD)]);
  await k.ok(['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=20s']);
  const crd = JSON.parse(await k.ok(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json'])) as { status: { acceptedNames: { kind: string }; storedVersions: string[]; conditions: { type: string; status: string }[] } };
  assert.equal(crd.status.acceptedNames.kind, 'CronTab');
  assert.deepEqual(crd.status.storedVersions, ['v1']);
  assert.ok(crd.status.conditions.some((c) => c.type === 'NamesAccepted' && c.status === 'True'));
  assert.match(await k.ok(['get', 'crds']), /NAME\s+CREATED AT\ncrontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT/);

  // Discovery finds the kind and its short name (kubectl's cache is refreshed on a miss).
  assert.match(await k.ok(['api-resources', '--api-group=stable.example.com']), /crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab/);
  assert.match((await k.kubectl(['get', 'ct'])).stderr, /No resources found in default namespace/);

  // A watch started now sees the object arrive and change.
  const watch = k.spawn(['get', 'crontabs', '-w', '--output-watch-events']);
  await k.ok(['apply', '-f', k.manifest('tab.yaml', TAB('my-new-cron-object'))]);
  await watch.waitFor(/ADDED\s+my-new-cron-object/, 10_000);

  // Table columns, -o wide, defaults, generation.
  assert.match(await k.ok(['get', 'ct']), /NAME\s+SPEC\s+REPLICAS\s+AGE\nmy-new-cron-object\s+\* \* \* \* \*\/5\s+2\s+\d+s/);
  assert.match(await k.ok(['get', 'ct', '-o', 'wide']), /NAME\s+SPEC\s+REPLICAS\s+IMAGE\s+AGE\nmy-new-cron-object\s+\* \* \* \* \*\/5\s+2\s+busybox\s+/);
  const got = JSON.parse(await k.ok(['get', 'crontab', 'my-new-cron-object', '-o', 'json'])) as { apiVersion: string; spec: { image: string }; metadata: { generation: number } };
  assert.equal(got.apiVersion, 'stable.example.com/v1');
  assert.equal(got.spec.image, 'busybox', 'schema default applied');
  assert.equal(got.metadata.generation, 1);
  assert.match(await k.ok(['get', 'ct', 'my-new-cron-object', '-o', 'yaml']), /kind: CronTab[\s\S]*cronSpec: '\* \* \* \* \*\/5'/);
  assert.match(await k.ok(['describe', 'ct', 'my-new-cron-object']), /Name:\s+my-new-cron-object[\s\S]*Kind:\s+CronTab/);

  // Merge patch bumps generation and reaches the watcher; strategic merge is refused (415).
  await k.ok(['patch', 'ct', 'my-new-cron-object', '--type=merge', '-p', '{"spec":{"image":"nginx"}}']);
  await watch.waitFor(/MODIFIED\s+my-new-cron-object/, 10_000);
  assert.equal(JSON.parse(await k.ok(['get', 'ct', 'my-new-cron-object', '-o', 'json'])).metadata.generation, 2);
  const smp = await k.kubectl(['patch', 'ct', 'my-new-cron-object', '-p', '{"spec":{"image":"x"}}']);
  assert.notEqual(smp.code, 0);
  assert.match(smp.stderr, /UnsupportedMediaType|unknown format|not supported/i);
  assert.match(smp.stderr, /application\/merge-patch\+json/);

  // Status subresource: main writes ignore status, /status writes it (no generation bump).
  await k.ok(['patch', 'ct', 'my-new-cron-object', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":2,"labelSelector":"app=cron"}}']);
  const withStatus = JSON.parse(await k.ok(['get', 'ct', 'my-new-cron-object', '-o', 'json']));
  assert.equal(withStatus.status.replicas, 2);
  assert.equal(withStatus.metadata.generation, 2);

  // Scale subresource through the CRD's paths, validated by the schema.
  await k.ok(['scale', 'ct', 'my-new-cron-object', '--replicas=5']);
  assert.equal(JSON.parse(await k.ok(['get', 'ct', 'my-new-cron-object', '-o', 'json'])).spec.replicas, 5);
  const scale = JSON.parse(await k.ok(['get', '--raw', '/apis/stable.example.com/v1/namespaces/default/crontabs/my-new-cron-object/scale']));
  assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.replicas, scale.status.selector], ['Scale', 5, 2, 'app=cron']);
  const tooMany = await k.kubectl(['scale', 'ct', 'my-new-cron-object', '--replicas=15']);
  assert.notEqual(tooMany.code, 0);
  assert.match(tooMany.stderr, /spec\.replicas: Invalid value: 15: spec\.replicas in body should be less than or equal to 10/);

  // Invalid objects: kubectl prints upstream's 422 shape; unknown fields under Strict are a 400.
  const wrongType = await k.kubectl(['apply', '-f', '-'], { stdin: TAB('bad').replace('replicas: 2', 'replicas: three') });
  assert.notEqual(wrongType.code, 0);
  assert.match(wrongType.stderr, /The CronTab "bad" is invalid: spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer: "string"/);
  const several = await k.kubectl(['apply', '-f', '-'], { stdin: TAB('bad').replace('cronSpec: "* * * * */5"', 'mode: Medium') });
  assert.notEqual(several.code, 0);
  assert.match(several.stderr, /spec\.cronSpec: Required value/);
  assert.match(several.stderr, /spec\.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"/);
  const unknown = await k.kubectl(['apply', '-f', '-'], { stdin: TAB('extra', '  colour: blue\n') });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec\.colour"/);
  // Without strict validation the unknown field is pruned, as upstream.
  await k.ok(['apply', '--validate=false', '-f', '-'], { stdin: TAB('pruned', '  colour: blue\n') });
  assert.equal(JSON.parse(await k.ok(['get', 'ct', 'pruned', '-o', 'json'])).spec.colour, undefined);

  // Field selectors: metadata.name works, other fields are refused.
  assert.match(await k.ok(['get', 'ct', '--field-selector', 'metadata.name=pruned', '-o', 'name']), /^crontab\.stable\.example\.com\/pruned\n$/);
  const sel = await k.kubectl(['get', 'ct', '--field-selector', 'spec.image=nginx']);
  assert.notEqual(sel.code, 0);
  assert.match(sel.stderr, /"spec\.image" is not a known field selector/);

  // Finalizers hold a delete until removed.
  await k.ok(['patch', 'ct', 'pruned', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
  await k.ok(['delete', 'ct', 'pruned', '--wait=false']);
  assert.ok(JSON.parse(await k.ok(['get', 'ct', 'pruned', '-o', 'json'])).metadata.deletionTimestamp);
  await k.ok(['patch', 'ct', 'pruned', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  assert.match((await k.kubectl(['get', 'ct', 'pruned'])).stderr, /NotFound|not found/);

  // A second CRD claiming the same kind in the group is not accepted.
  await k.ok(['apply', '-f', '-'], { stdin: CRD.replace(/crontabs/g, 'crontabz').replace('shortNames: [ct]', 'shortNames: [ctz]') });
  await k.ok(['wait', '--for=condition=NamesAccepted=False', 'crd/crontabz.stable.example.com', '--timeout=20s']);
  const clash = JSON.parse(await k.ok(['get', 'crd', 'crontabz.stable.example.com', '-o', 'json'])).status.conditions.find((c: { type: string }) => c.type === 'NamesAccepted');
  assert.equal(clash.reason, 'KindConflict');
  await k.ok(['delete', 'crd', 'crontabz.stable.example.com']);

  await watch.kill();

  // A restart serves the CRD and its objects again (the store reopens, the catalog refills).
  await k.cluster.close();
  const again = await startKubeCluster({ dataDir: k.dataDir, port: 0, nodes: 0 });
  try {
    assert.match(await k.ok(['get', 'ct', 'my-new-cron-object', '-o', 'name']), /crontab\.stable\.example\.com\/my-new-cron-object/);
    assert.match(await k.ok(['get', 'crd', 'crontabs.stable.example.com', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']), /^True$/);

    // Deleting the CRD deletes its objects and the kind.
    await k.ok(['delete', 'crd', 'crontabs.stable.example.com', '--timeout=20s']);
    assert.equal((await again.api.list(findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!, undefined)).items.length, 0);
    const gone = await k.kubectl(['get', 'ct']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /the server doesn't have a resource type "ct"|could not find the requested resource/);
    const raw = await k.kubectl(['get', '--raw', '/apis/stable.example.com/v1/namespaces/default/crontabs']);
    assert.notEqual(raw.code, 0);
  } finally {
    await again.close();
  }
});
