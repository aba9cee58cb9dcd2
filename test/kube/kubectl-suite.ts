import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type TestKube } from '../support/kube.js';

// The kubectl suite of issue #7 as a body that runs on either pod runtime: the fake one (echo
// double, no root) from test/kube/kubectl.test.ts, and real crun pods on real nodes from
// test/dataplane/kube-kubectl-real.test.ts. What depends on the runtime (images, the commands
// of long-running containers, what their logs and ports answer) comes from a RuntimeProfile;
// every assertion is the same on both.

/** What the suite needs to know about the pod runtime it runs on. */
export interface RuntimeProfile {
  name: string;
  /** Deployment images: the first apply (and the rollback target), the re-apply, `set image`. */
  images: readonly [first: string, second: string, third: string];
  /** Command of the deployment's container (undefined: the image's own); must serve HTTP on port 80. */
  webCommand?: readonly string[];
  /** Image and command of the `logger` pod: prints `logLines` then serves HTTP on port 8080. */
  logger: { image: string; command: readonly string[] };
  /** The two lines the logger prints, in order, and nothing else. */
  logLines: readonly [string, string];
  /** The body of `GET /hello/<i>` on the logger's port 8080 (through port-forward). */
  portForwardBody(i: number): string;
  /** `status.nodeInfo.containerRuntimeVersion` as `get nodes -o wide` shows it. */
  runtimeVersion: RegExp;
  /** `terminationGracePeriodSeconds` of every pod the suite creates (undefined: the default). */
  gracePeriodSeconds?: number;
}

/** The fake runtime: nginx tags "pull" fine, the fake shell echoes, ports answer as an echo double. */
export const FAKE_PROFILE: RuntimeProfile = {
  name: 'fake',
  images: ['nginx:1.25', 'nginx:1.26', 'nginx:1.27'],
  logger: { image: 'busybox:1.36', command: ['sh', '-c', 'echo hello from the fake runtime; echo second line; sleep infinity'] },
  logLines: ['hello from the fake runtime', 'second line'],
  portForwardBody: (i) => `fake runtime: pod default/logger port 8080 answered GET /hello/${i}\n`,
  runtimeVersion: /fake:\/\//,
};

/**
 * Real crun pods: the three busybox tags the local registry is seeded with; busybox httpd
 * serves files the container wrote at start, so logs, exec and port-forward talk to real
 * processes. A grace period of 1 s because httpd as PID 1 has no SIGTERM handler (the kernel
 * drops the signal), so each deleted pod would otherwise wait out the default 30 s.
 */
export const REAL_PROFILE: RuntimeProfile = {
  name: 'real',
  images: ['busybox:1.35', 'busybox:1.35.0', 'busybox:latest'],
  webCommand: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'],
  logger: {
    image: 'busybox:latest',
    command: [
      'sh',
      '-c',
      'mkdir -p /www/hello && for i in 0 1 2; do echo "busybox httpd in $(hostname) served /hello/$i" > /www/hello/$i; done; echo hello from a real pod; echo second line; exec httpd -f -p 8080 -h /www',
    ],
  },
  logLines: ['hello from a real pod', 'second line'],
  portForwardBody: (i) => `busybox httpd in logger served /hello/${i}\n`,
  runtimeVersion: /crun:\/\/\d/,
  gracePeriodSeconds: 1,
};

const grace = (p: RuntimeProfile, indent: string) => (p.gracePeriodSeconds === undefined ? '' : `${indent}terminationGracePeriodSeconds: ${p.gracePeriodSeconds}\n`);
const commandLine = (cmd: readonly string[] | undefined, indent: string) => (cmd ? `${indent}command: ${JSON.stringify(cmd)}\n` : '');

export function deploymentYaml(p: RuntimeProfile, name: string, image: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
${grace(p, '      ')}      containers:
      - name: ${name}
        image: ${image}
${commandLine(p.webCommand, '        ')}        ports:
        - containerPort: 80
`;
}

export function loggerYaml(p: RuntimeProfile): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: logger
  labels: {app: logger}
spec:
${grace(p, '  ')}  containers:
  - name: main
    image: ${p.logger.image}
${commandLine(p.logger.command, '    ')}`;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const IMAGE = (i: 0 | 1 | 2, p: RuntimeProfile) => p.images[i];

/** The flows every kubectl minor must pass. */
export async function coreFlows(t: TestContext, k: TestKube, minor: string, p: RuntimeProfile): Promise<void> {
  await t.test('the dispatcher picks the kubectl matching the server', async () => {
    const v = JSON.parse(await k.ok(['version', '-o', 'json'])) as { clientVersion: { minor: string }; serverVersion: { minor: string; gitVersion: string } };
    assert.equal(v.serverVersion.minor, minor);
    assert.match(v.clientVersion.minor, new RegExp(`^${minor}\\+?$`), 'the bundled kubectl of that minor ran');
  });

  await t.test('get nodes shows Ready nodes with the server columns', async () => {
    const out = await eventually(async () => {
      const o = await k.ok(['get', 'nodes']);
      return /node-1\s+Ready/.test(o) && /node-2\s+Ready/.test(o) ? o : undefined;
    }, 10_000, 'both nodes Ready');
    assert.match(out.split('\n')[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    const wide = await k.ok(['get', 'nodes', '-o', 'wide']);
    assert.match(wide.split('\n')[0]!, /INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
    assert.match(wide, p.runtimeVersion);
  });

  await t.test('apply creates a deployment and rollout status waits for it', async () => {
    const file = k.manifest(`web-${minor}.yaml`, deploymentYaml(p, 'web', IMAGE(0, p)));
    assert.match(await k.ok(['apply', '-f', file]), /deployment\.apps\/web created/);
    assert.match(await k.ok(['rollout', 'status', 'deployment/web', '--timeout=30s']), /successfully rolled out/);
    const pods = (await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n');
    assert.equal(pods.length, 2);
    for (const x of pods) assert.match(x, /^pod\/web-[a-z0-9]+-[a-z0-9]{5}$/);
    const table = await k.ok(['get', 'deploy', 'web', '-o', 'wide']);
    assert.match(table.split('\n')[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(table, new RegExp(`web\\s+2/2\\s+2\\s+2\\s+\\S+\\s+web\\s+${escapeRe(IMAGE(0, p))}\\s+app=web`));
    const podTable = await k.ok(['get', 'pods', '-o', 'wide', '-l', 'app=web']);
    assert.match(podTable.split('\n')[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    assert.match(podTable, /1\/1\s+Running\s+0\s+\S+\s+10\.42\.\d+\.\d+\s+node-\d/);
  });

  await t.test('re-apply of a changed manifest patches in place', async () => {
    const file = k.manifest(`web2-${minor}.yaml`, deploymentYaml(p, 'web', IMAGE(1, p)));
    assert.match(await k.ok(['apply', '-f', file]), /deployment\.apps\/web configured/);
    await k.ok(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    assert.equal(await k.ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), IMAGE(1, p));
  });

  await t.test(`logs and exec reach the ${p.name} runtime`, async () => {
    await k.ok(['apply', '-f', k.manifest(`logger-${minor}.yaml`, loggerYaml(p))]);
    await k.ok(['wait', '--for=condition=Ready', 'pod/logger', '--timeout=30s']);
    const logs = await eventually(async () => {
      const o = await k.ok(['logs', 'logger']);
      return o.includes(p.logLines[1]) ? o : undefined;
    }, 10_000, 'the pod logs');
    assert.match(logs, new RegExp(`^${escapeRe(p.logLines[0])}\\n${escapeRe(p.logLines[1])}\\n$`, 'm'));
    assert.equal(await k.ok(['exec', 'logger', '--', 'echo', 'hi there']), 'hi there\n');
    const failed = await k.kubectl(['exec', 'logger', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /command terminated with exit code 3/);
  });

  await t.test('errors print as kubectl users expect', async () => {
    const nf = await k.kubectl(['get', 'pod', 'nope']);
    assert.equal(nf.code, 1);
    assert.match(nf.stderr, /Error from server \(NotFound\): pods "nope" not found/);
    const nfd = await k.kubectl(['get', 'deployment', 'nope']);
    assert.match(nfd.stderr, /Error from server \(NotFound\): deployments\.apps "nope" not found/);
  });

  await t.test('delete cascades from the deployment to its pods', async () => {
    assert.match(await k.ok(['delete', 'deployment', 'web']), /deployment\.apps "web" deleted/);
    await eventually(async () => (await k.ok(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).trim() === '', 20_000, 'replica sets and pods gone');
    assert.match(await k.ok(['delete', 'pod', 'logger', '--grace-period=1']), /pod "logger" deleted/);
  });
}

/** The whole 1.32 suite: the core flows, then the rest of issue #7's kubectl checks. */
export async function fullFlows(t: TestContext, k: TestKube, p: RuntimeProfile): Promise<void> {
  await coreFlows(t, k, '32', p);

  await t.test('discovery is aggregated v2 with the core and named groups', async () => {
    const out = await k.ok(['api-resources', '-o', 'wide']);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    assert.match(out, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice/m);
    const versions = await k.ok(['api-versions']);
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'coordination.k8s.io/v1']) assert.ok(versions.split('\n').includes(gv), `${gv} in api-versions`);
  });

  await t.test('get, describe and every output format', async () => {
    await k.ok(['apply', '-f', k.manifest('app.yaml', deploymentYaml(p, 'app', IMAGE(0, p), 2))]);
    await k.ok(['rollout', 'status', 'deployment/app', '--timeout=30s']);
    const y = await k.ok(['get', 'deployment', 'app', '-o', 'yaml']);
    assert.match(y, /^apiVersion: apps\/v1\nkind: Deployment\n/);
    assert.match(y, /resourceVersion: "\d+"/);
    const j = JSON.parse(await k.ok(['get', 'deployment', 'app', '-o', 'json'])) as { metadata: { uid: string; generation: number }; status: { observedGeneration: number; readyReplicas: number } };
    assert.match(j.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(j.status.observedGeneration, j.metadata.generation);
    assert.equal(j.status.readyReplicas, 2);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'name']), 'deployment.apps/app\n');
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.spec.replicas}']), '2');
    const d = await k.ok(['describe', 'deployment', 'app']);
    assert.match(d, /^Name:\s+app$/m);
    assert.match(d, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);
    assert.match(d, /NewReplicaSet:\s+app-\S+ \(2\/2 replicas created\)/);
    const pd = await k.ok(['describe', 'pods', '-l', 'app=app']);
    assert.match(pd, /^Status:\s+Running$/m);
    assert.match(pd, /^Node:\s+node-\d\//m);
    const all = await k.ok(['get', 'all']);
    assert.match(all, /deployment\.apps\/app/);
    assert.match(all, /service\/kubernetes/);
    const allNs = await k.ok(['get', 'pods', '-A', '--show-labels']);
    assert.match(allNs.split('\n')[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS/);
    assert.match(allNs, /^default\s+app-\S+\s+1\/1\s+Running.*app=app,pod-template-hash=/m);
  });

  await t.test('get -w prints the table, then a row per change', async () => {
    const w = k.spawn(['get', 'deployment', 'app', '-w']);
    const first = await w.lines(2);
    assert.match(first[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    assert.match(first[1]!, /^app\s+2\/2/);
    await k.ok(['label', 'deployment', 'app', 'watched=yes']);
    const next = await w.lines(3);
    assert.match(next[2]!, /^app\s+/);
    await w.kill();
  });

  await t.test('scale, set image, rollout undo and wait', async () => {
    assert.match(await k.ok(['scale', 'deployment/app', '--replicas=3']), /deployment\.apps\/app scaled/);
    await k.ok(['rollout', 'status', 'deployment/app', '--timeout=30s']);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.status.readyReplicas}']), '3');
    assert.match(await k.ok(['set', 'image', 'deployment/app', `app=${IMAGE(2, p)}`]), /deployment\.apps\/app image updated/);
    await k.ok(['rollout', 'status', 'deployment/app', '--timeout=30s']);
    // Real pods of the old revision may still be terminating (grace period) right after the
    // rollout; the listing converges to the three new ones.
    const want = [IMAGE(2, p), IMAGE(2, p), IMAGE(2, p)].join(' ');
    const images = await eventually(async () => {
      const o = await k.ok(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
      return o === want ? o : undefined;
    }, 15_000, `pods of app running ${want}`).catch(async () => k.ok(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[*].spec.containers[0].image}']));
    assert.equal(images, want);
    assert.match(await k.ok(['rollout', 'undo', 'deployment/app']), /deployment\.apps\/app rolled back/);
    await k.ok(['rollout', 'status', 'deployment/app', '--timeout=30s']);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), IMAGE(0, p));
    assert.match(await k.ok(['wait', '--for=condition=Available', 'deployment/app', '--timeout=30s']), /deployment\.apps\/app condition met/);
    const history = await k.ok(['rollout', 'history', 'deployment/app']);
    assert.match(history, /REVISION/);
  });

  await t.test('label, annotate and the three patch types', async () => {
    assert.match(await k.ok(['label', 'deployment', 'app', 'tier=front']), /deployment\.apps\/app labeled/);
    assert.match(await k.ok(['annotate', 'deployment', 'app', 'owner=team-a']), /deployment\.apps\/app annotated/);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.metadata.labels.tier}/{.metadata.annotations.owner}']), 'front/team-a');
    assert.match(await k.ok(['label', 'deployment', 'app', 'tier-']), /unlabeled/);
    await k.ok(['patch', 'deployment', 'app', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"1"}]}]}}}}']);
    const c = JSON.parse(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0]}'])) as { image: string; env: unknown[] };
    assert.equal(c.image, IMAGE(0, p), 'strategic merge keeps the image of the container merged by name');
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }]);
    await k.ok(['patch', 'deployment', 'app', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.metadata.labels.merged}']), 'yes');
    await k.ok(['patch', 'deployment', 'app', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1}]']);
    assert.equal(await k.ok(['get', 'deployment', 'app', '-o', 'jsonpath={.spec.replicas}']), '1');
    const bad = await k.kubectl(['patch', 'deployment', 'app', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":7}]']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /the JSON patch operation 0 \(test \/spec\/replicas\) cannot be applied/);
  });

  await t.test('expose makes ClusterIP and NodePort services', async () => {
    assert.match(await k.ok(['expose', 'deployment', 'app', '--port=80']), /service\/app exposed/);
    assert.match(await k.ok(['get', 'svc', 'app', '-o', 'jsonpath={.spec.clusterIP}']), /^10\.43\.\d+\.\d+$/);
    assert.match(await k.ok(['expose', 'deployment', 'app', '--port=80', '--type=NodePort', '--name=app-np']), /service\/app-np exposed/);
    const port = Number(await k.ok(['get', 'svc', 'app-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(port >= 30000 && port <= 32767, `nodePort ${port} in 30000-32767`);
    const table = await k.ok(['get', 'svc', 'app-np']);
    assert.match(table, new RegExp(`app-np\\s+NodePort\\s+10\\.43\\.\\d+\\.\\d+\\s+<none>\\s+80:${port}/TCP`));
    const eps = await eventually(async () => {
      const o = await k.ok(['get', 'endpoints', 'app', '-o', 'jsonpath={.subsets[0].addresses[*].ip}']);
      return o ? o : undefined;
    }, 10_000, 'endpoints of app');
    assert.match(eps, /^10\.42\./);
  });

  await t.test('describe svc reads the EndpointSlices', async () => {
    const d = await k.ok(['describe', 'svc', 'app']);
    assert.match(d, /^Endpoints:\s+10\.42\.\d+\.\d+:80/m);
    assert.match(d, /^Type:\s+ClusterIP$/m);
  });

  await t.test('server-side apply creates and then merges', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  key: ${v}\n`;
    assert.match(await k.ok(['apply', '--server-side', '-f', k.manifest('ssa1.yaml', cm('one'))]), /configmap\/ssa serverside-applied/);
    assert.match(await k.ok(['apply', '--server-side', '-f', k.manifest('ssa2.yaml', cm('two'))]), /configmap\/ssa serverside-applied/);
    assert.equal(await k.ok(['get', 'configmap', 'ssa', '-o', 'jsonpath={.data.key}']), 'two');
  });

  await t.test('namespaces, configmaps and secrets', async () => {
    await k.ok(['apply', '-f', k.manifest('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n')]);
    assert.match(await k.ok(['get', 'ns', 'team-a']), /team-a\s+Active/);
    const cm = await k.ok(['create', 'configmap', 'settings', '-n', 'team-a', '--from-literal=color=blue', '--dry-run=client', '-o', 'yaml']);
    assert.match(await k.ok(['apply', '-f', '-'], { stdin: cm }), /configmap\/settings created/);
    assert.equal(await k.ok(['get', 'cm', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.color}']), 'blue');
    const secret = await k.ok(['create', 'secret', 'generic', 'creds', '-n', 'team-a', '--from-literal=password=s3cret', '--dry-run=client', '-o', 'yaml']);
    await k.ok(['apply', '-f', '-'], { stdin: secret });
    const b64 = await k.ok(['get', 'secret', 'creds', '-n', 'team-a', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(b64, 'base64').toString(), 's3cret');
    assert.match(await k.ok(['get', 'secrets', '-n', 'team-a']), /creds\s+Opaque\s+1/);
    // Typed-client commands send protobuf bodies; the server decodes them.
    assert.match(await k.ok(['create', 'configmap', 'direct', '-n', 'team-a', '--from-literal=a=b']), /configmap\/direct created/);
    assert.equal(await k.ok(['get', 'cm', 'direct', '-n', 'team-a', '-o', 'jsonpath={.data.a}']), 'b');
    assert.match(await k.ok(['delete', 'ns', 'team-a']), /namespace "team-a" deleted/);
    await k.ok(['wait', '--for=delete', 'namespace/team-a', '--timeout=30s']).catch(() => undefined);
    const gone = await k.kubectl(['get', 'ns', 'team-a']);
    assert.match(gone.stderr, /NotFound/);
  });

  await t.test('409 and 422 errors', async () => {
    const file = k.manifest('dup.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata: {a: b}\n');
    await k.ok(['create', '-f', file]);
    const again = await k.kubectl(['create', '-f', file]);
    assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*dup\.yaml": configmaps "dup" already exists/);
    const cm = JSON.parse(await k.ok(['get', 'cm', 'dup', '-o', 'json'])) as { metadata: { resourceVersion: string } };
    await k.ok(['label', 'cm', 'dup', 'bump=1']);
    const stale = k.manifest('stale.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup', resourceVersion: cm.metadata.resourceVersion }, data: { a: 'c' } }));
    const conflict = await k.kubectl(['replace', '-f', stale]);
    assert.match(conflict.stderr, /Error from server \(Conflict\): error when replacing ".*stale\.json": Operation cannot be fulfilled on configmaps "dup": the object has been modified/);
    const invalid = k.manifest('invalid.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n  containers:\n  - name: c\n');
    const inv = await k.kubectl(['apply', '-f', invalid]);
    // kubectl prints 422 Invalid Status errors as `The <Kind> "<name>" is invalid: <causes>`.
    assert.match(inv.stderr, /^The Pod "broken" is invalid: spec\.containers\[0\]\.image: Required value$/m);
  });

  await t.test('exec with stdin, a bad container, and attach-less errors', async () => {
    await k.ok(['apply', '-f', k.manifest('logger.yaml', loggerYaml(p))]);
    await k.ok(['wait', '--for=condition=Ready', 'pod/logger', '--timeout=30s']);
    assert.equal(await k.ok(['exec', '-i', 'logger', '--', 'cat'], { stdin: 'piped through\n' }), 'piped through\n');
    const bad = await k.kubectl(['exec', 'logger', '-c', 'bad', '--', 'echo']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container bad is not valid for pod logger/);
    const f = k.spawn(['logs', '-f', 'logger']);
    await f.waitFor(new RegExp(`^${escapeRe(p.logLines[1])}$`));
    await f.kill();
  });

  for (const ws of [true, false]) {
    await t.test(`port-forward (${ws ? 'SPDY tunnelled in WebSocket' : 'plain SPDY, KUBECTL_PORT_FORWARD_WEBSOCKETS=false'})`, async () => {
      const pf = k.spawn(['port-forward', 'pod/logger', ':8080'], ws ? {} : { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
      const line = await pf.waitFor(/^Forwarding from 127\.0\.0\.1:\d+ -> 8080$/);
      const port = Number(/:(\d+) ->/.exec(line)![1]);
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/hello/${i}`);
        assert.equal(r.status, 200);
        assert.equal(await r.text(), p.portForwardBody(i));
      }
      await pf.kill();
    });
  }
}
