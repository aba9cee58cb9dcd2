import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findResource } from '../../src/kube/resources.js';
import { kubeDataplaneSkipReason, startRealKube, until } from '../support/kube-dataplane.js';

// In-cluster API access on the real data plane (root only): a busybox pod reads its projected
// service-account token and calls https://kubernetes.default.svc/api through the `kubernetes`
// Service (kube-proxy → node API proxy → unix socket → API server). Discovery is open to every
// authenticated account; listing pods takes a RoleBinding, as on a real cluster.

const skip = kubeDataplaneSkipReason();
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

const POD = `apiVersion: v1
kind: Pod
metadata: { name: incluster }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
`;

test('pods reach the API server with their service-account token', { skip, timeout: 240_000 }, async (t) => {
  const k = await startRealKube(t, { nodes: 1 });
  const node = k.cluster.real!.nodes[0]!.plan;
  const port = Number(new URL(k.cluster.url).port);

  await t.test('the kubernetes Service points at the node API proxy; the certificate names it', async () => {
    const ep = await k.cluster.api.get(ENDPOINTS, 'default', 'kubernetes');
    assert.deepEqual((ep as unknown as { subsets: { addresses: { ip: string }[]; ports: { port: number }[] }[] }).subsets[0]!.addresses.map((a) => a.ip), [node.address]);
    const cert = new X509Certificate(readFileSync(join(k.dataDir, 'pki', 'apiserver.crt')));
    for (const san of ['DNS:kubernetes.default.svc', 'IP Address:10.43.0.1', `IP Address:${node.address}`]) assert.ok(cert.subjectAltName?.includes(san), `${san} in ${cert.subjectAltName}`);
    // the proxy answers inside the node namespace (TLS handshake and /version over it)
    const r = await k.inNode(node.name, ['curl', '-sk', '--max-time', '5', `https://${node.address}:${port}/version`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"gitVersion"/);
  });

  await t.test('a busybox pod reads its token and gets /api through kubernetes.default.svc', async () => {
    await k.apply(POD);
    await until(async () => JSON.parse(await k.ok(['get', 'pod', 'incluster', '-o', 'json'])).status.phase === 'Running', 90_000, 'pod Running');
    const files = (await k.ok(['exec', 'incluster', '--', 'ls', SA])).split(/\s+/).filter(Boolean).sort();
    assert.deepEqual(files, ['ca.crt', 'namespace', 'token']);
    assert.equal((await k.ok(['exec', 'incluster', '--', 'cat', `${SA}/namespace`])).trim(), 'default');
    const env = await k.ok(['exec', 'incluster', '--', 'env']);
    assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.43\.0\.1$/m);
    assert.match(env, /^KUBERNETES_SERVICE_PORT=443$/m);
    const t0 = Date.now();
    const out = await until(async () => {
      const r = await k.kubectl(['exec', 'incluster', '--', 'sh', '-c', `wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat ${SA}/token)" https://kubernetes.default.svc/api`], { timeoutMs: 20_000 });
      return r.code === 0 && r.stdout.includes('APIVersions') ? r.stdout : undefined;
    }, 30_000, 'the API from inside the pod');
    const doc = JSON.parse(out) as { kind: string; versions: string[] };
    assert.equal(doc.kind, 'APIVersions');
    assert.deepEqual(doc.versions, ['v1']);
    process.stdout.write(`# bench: in-cluster GET /api from a pod answered within ${Date.now() - t0} ms (incl. kubectl exec)\n`);
    // without a token the API answers 401 (the request went through, authentication said no)
    const anon = await k.kubectl(['exec', 'incluster', '--', 'sh', '-c', 'wget -q -O - --no-check-certificate https://10.43.0.1/api/v1/namespaces 2>&1; true'], { timeoutMs: 20_000 });
    assert.match(anon.stdout, /401|Unauthorized/);
  });

  await t.test('under RBAC the account lists pods only once a RoleBinding grants it', async () => {
    const list = (ns: string) =>
      k.kubectl(['exec', 'incluster', '--', 'sh', '-c', `wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat ${SA}/token)" https://kubernetes.default.svc/api/v1/namespaces/${ns}/pods 2>&1; true`], { timeoutMs: 20_000 });
    // BusyBox wget prints only the status line of a refusal
    assert.match((await list('default')).stdout, /403|Forbidden/);
    // what a real user does: bind the built-in `view` ClusterRole to the pod's account
    await k.ok(['create', 'rolebinding', 'default-view', '--clusterrole=view', '--serviceaccount=default:default', '-n', 'default']);
    const out = await until(async () => {
      const r = await list('default');
      return r.stdout.includes('"PodList"') ? r.stdout : undefined;
    }, 20_000, 'the pod list from inside the pod');
    const pods = JSON.parse(out) as { items: { metadata: { name: string } }[] };
    assert.ok(pods.items.some((p) => p.metadata.name === 'incluster'));
    // the binding is namespaced: kube-system stays closed
    assert.match((await list('kube-system')).stdout, /403|Forbidden/);
  });
});
