import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import * as clientNode from '@kubernetes/client-node';
import { FakeRuntime, startNodeAgent } from '../../src/kube/agent/index.js';
import type { ContainerConfig, SandboxConfig, VolumeFile } from '../../src/kube/agent/runtime.js';
import { eventually, startTestKube } from '../support/kube.js';

// TokenRequest (`serviceaccounts/<sa>/token`) over HTTP JSON, kubectl and client-node; the
// API authenticating the issued JWTs (and refusing them once their account or pod is gone);
// and a node agent writing the service-account volume of a pod through a runtime that mounts.

interface Reply {
  code: number;
  body: Record<string, unknown>;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A runtime that is not "fake" to the agent (so it gets volume files) but runs nothing. */
class MountingRuntime extends FakeRuntime {
  override readonly fake = false as true;
  readonly sandboxConfigs: SandboxConfig[] = [];
  readonly updates: { uid: string; volume: string; files: VolumeFile[] }[] = [];
  override async runSandbox(cfg: SandboxConfig) {
    this.sandboxConfigs.push(cfg);
    return super.runSandbox(cfg);
  }
  readonly containerConfigs: ContainerConfig[] = [];
  override async startContainer(uid: string, cfg: ContainerConfig) {
    this.containerConfigs.push(cfg);
    return super.startContainer(uid, cfg);
  }
  async updateVolumeFiles(uid: string, volume: string, files: VolumeFile[]): Promise<void> {
    this.updates.push({ uid, volume, files });
  }
}

test('service-account tokens: TokenRequest, authentication, projected volume', { timeout: 120_000 }, async (t) => {
  const k = await startTestKube(t, { nodes: 1 });
  const { url, caPem, adminToken } = k.cluster;
  const call = (method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = o.body === undefined ? undefined : JSON.stringify(o.body);
      const req = request(`${url}${path}`, { method, ca: caPem, headers: { Accept: 'application/json', ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}), ...(data ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { raw: text };
          }
          resolve({ code: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  const tokenFor = async (ns: string, sa: string, spec: Record<string, unknown> = {}): Promise<Reply> =>
    call('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { token: adminToken, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec } });
  const ns = 'default';
  await eventually(async () => (await call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`, { token: adminToken })).code === 200, 10_000, 'the default ServiceAccount');

  await t.test('TokenRequest over HTTP JSON returns a signed JWT with upstream claims', async () => {
    const sa = (await call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`, { token: adminToken })).body as { metadata: { uid: string } };
    const r = await tokenFor(ns, 'default', { expirationSeconds: 900 });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'TokenRequest');
    assert.equal(r.body.apiVersion, 'authentication.k8s.io/v1');
    const status = r.body.status as { token: string; expirationTimestamp: string };
    const c = claimsOf(status.token);
    assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(c.sub, 'system:serviceaccount:default:default');
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal((c.exp as number) - (c.iat as number), 900);
    assert.equal(c.nbf, c.iat);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata.uid } });
    assert.equal(Date.parse(status.expirationTimestamp) / 1000, c.exp);
    const header = JSON.parse(Buffer.from(status.token.split('.')[0]!, 'base64url').toString()) as { alg: string };
    assert.equal(header.alg, 'ES256');
    assert.equal(((r.body.spec as { expirationSeconds: number }).expirationSeconds), 900);
    // the default lifetime is one hour
    const d = claimsOf(((await tokenFor(ns, 'default')).body.status as { token: string }).token);
    assert.equal((d.exp as number) - (d.iat as number), 3600);
  });

  await t.test('the token authenticates API calls; junk and foreign-audience tokens do not', async () => {
    const token = ((await tokenFor(ns, 'default')).body.status as { token: string }).token;
    const api = await call('GET', '/api', { token });
    assert.equal(api.code, 200);
    assert.equal(api.body.kind, 'APIVersions');
    // authenticated (not 401), but RBAC gives the default account no access to pods
    assert.equal((await call('GET', `/api/v1/namespaces/${ns}/pods`, { token })).code, 403);
    assert.equal((await call('GET', '/api', { token: `${token.slice(0, -4)}AAAA` })).code, 401);
    assert.equal((await call('GET', '/api', { token: 'a.b.c' })).code, 401);
    const vault = ((await tokenFor(ns, 'default', { audiences: ['vault'] })).body.status as { token: string }).token;
    assert.deepEqual(claimsOf(vault).aud, ['vault']);
    assert.equal((await call('GET', '/api', { token: vault })).code, 401, 'a token for another audience is not an API credential');
  });

  await t.test('bad TokenRequests get 400/404/405 with a reason', async () => {
    const short = await tokenFor(ns, 'default', { expirationSeconds: 599 });
    assert.equal(short.code, 400);
    assert.match(String(short.body.message), /less than 600 seconds/);
    const missing = await tokenFor(ns, 'nobody');
    assert.equal(missing.code, 404);
    assert.match(String(missing.body.message), /kubectl create serviceaccount nobody/);
    const node = await tokenFor(ns, 'default', { boundObjectRef: { kind: 'Node', name: 'node-1' } });
    assert.equal(node.code, 400);
    const ghost = await tokenFor(ns, 'default', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'ghost' } });
    assert.equal(ghost.code, 404);
    assert.equal((await call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, { token: adminToken })).code, 405);
    const notJson = await call('POST', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, { token: adminToken, body: [1, 2] });
    assert.equal(notJson.code, 400);
  });

  await t.test('deleting the ServiceAccount revokes its tokens', async () => {
    assert.equal((await call('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { token: adminToken, body: { metadata: { name: 'robot' } } })).code, 201);
    const token = ((await tokenFor(ns, 'robot')).body.status as { token: string }).token;
    assert.equal((await call('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/robot`, { token: adminToken })).code, 200);
    await eventually(async () => (await call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/robot`, { token: adminToken })).code === 404, 10_000, 'robot gone');
    assert.equal((await call('GET', '/api', { token })).code, 401);
    // a new account of the same name has another uid: the old token stays dead
    assert.equal((await call('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { token: adminToken, body: { metadata: { name: 'robot' } } })).code, 201);
    assert.equal((await call('GET', '/api', { token })).code, 401);
  });

  await t.test('a pod-bound token names the pod and dies with it', async () => {
    const created = await call('POST', `/api/v1/namespaces/${ns}/pods`, { token: adminToken, body: { metadata: { name: 'bound' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    assert.equal(created.code, 201);
    const uid = (created.body.metadata as { uid: string }).uid;
    const r = await tokenFor(ns, 'default', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound', uid } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    const token = (r.body.status as { token: string }).token;
    const k8s = claimsOf(token)['kubernetes.io'] as { pod: { name: string; uid: string } };
    assert.deepEqual(k8s.pod, { name: 'bound', uid });
    const wrongUid = await tokenFor(ns, 'default', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound', uid: '00000000-0000-0000-0000-000000000000' } });
    assert.equal(wrongUid.code, 409);
    const unused = ((await tokenFor(ns, 'default', { boundObjectRef: { kind: 'Pod', name: 'bound' } })).body.status as { token: string }).token;
    assert.equal((await call('GET', '/api', { token })).code, 200);
    assert.equal((await call('DELETE', `/api/v1/namespaces/${ns}/pods/bound?gracePeriodSeconds=0`, { token: adminToken })).code, 200);
    await eventually(async () => (await call('GET', `/api/v1/namespaces/${ns}/pods/bound`, { token: adminToken })).code === 404, 10_000, 'pod gone');
    assert.equal((await call('GET', '/api', { token: unused })).code, 401);
    // a used token is re-checked within seconds
    await eventually(async () => (await call('GET', '/api', { token })).code === 401, 8_000, 'the bound token to be refused');
  });

  await t.test('kubectl create token (protobuf first, JSON after the 415) and client-node', async () => {
    const out = (await k.ok(['create', 'token', 'default', '--duration=20m', '--audience=https://kubernetes.default.svc.cluster.local'])).trim();
    const c = claimsOf(out);
    assert.equal(c.sub, 'system:serviceaccount:default:default');
    assert.equal((c.exp as number) - (c.iat as number), 1200);
    assert.equal((await call('GET', '/api', { token: out })).code, 200);
    const kc = new clientNode.KubeConfig();
    kc.loadFromFile(k.cluster.kubeconfigPath);
    const core = kc.makeApiClient(clientNode.CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({ name: 'default', namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    assert.ok(tr.status?.token);
    assert.equal((await call('GET', '/api', { token: tr.status.token })).code, 200);
  });

  await t.test('the node agent gives a pod its service-account volume (token, ca.crt, namespace) and env', async () => {
    // Replace node-1's agent by one whose runtime takes volume files.
    await k.cluster.stopNodeAgent('node-1');
    const nodeToken = (JSON.parse(readFileSync(join(k.dir, 'data', 'tokens.json'), 'utf8')) as { nodes: Record<string, string> }).nodes['node-1']!;
    const runtime = new MountingRuntime();
    const start = () => startNodeAgent({ nodeName: 'node-1', server: url, caPem, token: nodeToken, podCidr: '10.42.1.0/24', runtime, heartbeatMs: 1000 });
    let agent = await start();
    t.after(() => agent.stop());
    const pod = { metadata: { name: 'mounted' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', env: [{ name: 'KUBERNETES_SERVICE_PORT', value: 'mine' }] }] } };
    assert.equal((await call('POST', `/api/v1/namespaces/${ns}/pods`, { token: adminToken, body: pod })).code, 201);
    const cfg = await eventually(() => runtime.sandboxConfigs.find((c) => c.name === 'mounted'), 15_000, 'the sandbox');
    const vol = (cfg.pod.spec as { volumes: { name: string }[] }).volumes.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(vol, 'the runtime sees the added volume');
    const c0 = (cfg.pod.spec as { containers: { volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] }[] }).containers[0]!;
    assert.deepEqual(c0.volumeMounts, [{ name: vol.name, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }]);
    const files = Object.fromEntries(cfg.volumeFiles![vol.name]!.map((f) => [f.path, Buffer.from(f.data, 'base64').toString('utf8')]));
    assert.deepEqual(Object.keys(files).sort(), ['ca.crt', 'namespace', 'token']);
    assert.equal(files['ca.crt'], caPem);
    assert.equal(files.namespace, 'default');
    const claims = claimsOf(files.token!);
    assert.equal((claims['kubernetes.io'] as { pod: { name: string } }).pod.name, 'mounted');
    assert.equal((claims.exp as number) - (claims.iat as number), 3607);
    assert.equal((await call('GET', '/api', { token: files.token })).code, 200, 'the pod token is an API credential');
    // the API object is left as written
    const stored = (await call('GET', `/api/v1/namespaces/${ns}/pods/mounted`, { token: adminToken })).body as { spec: { volumes?: unknown[] } };
    assert.equal(stored.spec.volumes, undefined);
    // KUBERNETES_* env from the kubernetes Service, the container's own value winning
    const cc = await eventually(() => runtime.containerConfigs.find((c) => c.volumeMounts?.some((m) => m.name === vol.name)), 10_000, 'the container');
    const env = Object.fromEntries(cc.env.map((e) => [e.name, e.value]));
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT, 'mine');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(env.KUBERNETES_PORT, 'tcp://10.43.0.1:443');
    assert.equal(cc.env.filter((e) => e.name === 'KUBERNETES_SERVICE_PORT').length, 1);
    // An agent restart adopts the pod and refreshes its token in place at once.
    await agent.stop();
    agent = await start();
    const upd = await eventually(() => runtime.updates.find((u) => u.uid === cfg.uid), 15_000, 'a token refresh after adoption');
    assert.equal(upd.volume, vol.name);
    const fresh = upd.files.find((f) => f.path === 'token')!;
    assert.notEqual(Buffer.from(fresh.data, 'base64').toString(), files.token);
    // opting out: no volume
    const off = { metadata: { name: 'optout' }, spec: { nodeName: 'node-1', automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox' }] } };
    assert.equal((await call('POST', `/api/v1/namespaces/${ns}/pods`, { token: adminToken, body: off })).code, 201);
    const offCfg = await eventually(() => runtime.sandboxConfigs.find((c) => c.name === 'optout'), 15_000, 'the opt-out sandbox');
    assert.equal((offCfg.pod.spec as { volumes?: unknown[] }).volumes, undefined);
  });
});
