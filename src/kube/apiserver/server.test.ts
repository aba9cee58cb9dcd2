import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from './registry.js';
import { createApiServer, type ApiServerOptions } from './server.js';
import { createAuthenticator, loadOrCreateTokens } from './auth.js';
import { issueCertificate, loadOrCreatePki, serverSans } from './pki.js';
import { findResource } from '../resources.js';

const SECRETS = findResource('', 'v1', 'secrets')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

async function start(t: TestContext, extra: Partial<ApiServerOptions> & { historySize?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-apiserver-'));
  const api = await openRegistry({ dataDir: dir, historySize: extra.historySize });
  await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  const server = createApiServer({ api, ...extra });
  const url = await server.listen(0);
  t.after(async () => {
    await server.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { api, url, dir };
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

test('discovery, version, health and OpenAPI documents', async (t) => {
  const { url } = await start(t, { kubeVersion: '1.29.14' });
  const v = (await (await fetch(`${url}/version`)).json()) as { major: string; minor: string; gitVersion: string };
  assert.deepEqual([v.major, v.minor, v.gitVersion], ['1', '29', 'v1.29.14']);

  const accept132 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const r2 = await fetch(`${url}/apis`, { headers: { Accept: accept132 } });
  assert.equal(r2.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const agg = (await r2.json()) as { apiVersion: string; items: { metadata: { name: string }; versions: { resources: { resource: string; responseKind: unknown; subresources?: { subresource: string; responseKind: { group: string; kind: string } }[] }[] }[] }[] };
  assert.equal(agg.apiVersion, 'apidiscovery.k8s.io/v2');
  const appsGroup = agg.items.find((i) => i.metadata.name === 'apps')!;
  const deploy = appsGroup.versions[0]!.resources.find((r) => r.resource === 'deployments')!;
  assert.deepEqual(deploy.subresources!.find((s) => s.subresource === 'scale')!.responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });

  const r129 = await fetch(`${url}/api`, { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' } });
  assert.equal(r129.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
  const core = (await r129.json()) as { apiVersion: string; items: { metadata: { name: string } }[] };
  assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  assert.deepEqual(core.items.map((i) => i.metadata.name), ['']);

  const legacy = (await (await fetch(`${url}/api`, { headers: { Accept: 'application/json, */*' } })).json()) as { kind: string; versions: string[] };
  assert.deepEqual([legacy.kind, legacy.versions], ['APIVersions', ['v1']]);
  const groups = (await (await fetch(`${url}/apis`)).json()) as { kind: string; groups: { name: string }[] };
  assert.equal(groups.kind, 'APIGroupList');
  assert.ok(groups.groups.some((g) => g.name === 'apps'));
  const appsV1 = (await (await fetch(`${url}/apis/apps/v1`)).json()) as { groupVersion: string; resources: { name: string; group?: string; kind: string }[] };
  assert.equal(appsV1.groupVersion, 'apps/v1');
  assert.deepEqual(appsV1.resources.find((r) => r.name === 'deployments/scale'), { name: 'deployments/scale', singularName: '', namespaced: true, kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' });
  assert.equal((await fetch(`${url}/apis/nope/v1`)).status, 404);

  const root = (await (await fetch(`${url}/openapi/v3`)).json()) as { paths: Record<string, { serverRelativeURL: string }> };
  const coreDoc = (await (await fetch(`${url}${root.paths['api/v1']!.serverRelativeURL}`)).json()) as { paths: Record<string, { patch: { 'x-kubernetes-group-version-kind': unknown; parameters: { name: string }[]; requestBody?: unknown } }> };
  const podPatch = coreDoc.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.patch;
  assert.deepEqual(podPatch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
  assert.ok(podPatch.parameters.some((p) => p.name === 'fieldValidation'));
  assert.equal(podPatch.requestBody, undefined);
  assert.ok(root.paths['apis/apps/v1']);
  const v2 = await fetch(`${url}/openapi/v2`);
  assert.equal(v2.status, 404);
  assert.equal(((await v2.json()) as { kind: string }).kind, 'Status');

  for (const p of ['/healthz', '/livez', '/readyz']) assert.equal(await (await fetch(`${url}${p}`)).text(), 'ok');
  assert.match(await (await fetch(`${url}/readyz?verbose`)).text(), /\[\+\]ping ok[\s\S]*readyz check passed/);
});

test('bad input gets a Status, never a 500', async (t) => {
  const logs: string[] = [];
  const { url } = await start(t, { log: (l) => logs.push(l) });
  const status = async (r: Response) => ({ code: r.status, body: (await r.json()) as { kind: string; reason: string; message: string } });

  const unknown = await status(await fetch(`${url}/api/v1/widgets`));
  assert.equal(unknown.code, 404);
  assert.equal(unknown.body.kind, 'Status');
  const malformed = await status(await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"metadata": ' }));
  assert.equal(malformed.code, 400);
  assert.match(malformed.body.message, /not valid JSON/);
  const proto = await status(await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' }, body: 'k8s\0' }));
  assert.equal(proto.code, 415);
  assert.match(proto.body.message, /kubectl apply -f -/);
  const big = await fetch(`${url}/api/v1/namespaces/default/configmaps`, json({ metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 1) } }));
  assert.equal(big.status, 413);
  const wrongKind = await status(await fetch(`${url}/api/v1/namespaces/default/configmaps`, json({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })));
  assert.equal(wrongKind.code, 400);
  const patchType = await status(await fetch(`${url}/api/v1/namespaces/default/configmaps/x`, { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: '{}' }));
  assert.equal(patchType.code, 415);
  const badLimit = await status(await fetch(`${url}/api/v1/pods?limit=abc`));
  assert.equal(badLimit.code, 400);
  const yaml = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n' });
  assert.equal(yaml.status, 201);
  const execGet = await status(await fetch(`${url}/api/v1/namespaces/default/pods/nope/exec?command=ls`));
  assert.equal(execGet.code, 400);
  assert.ok(logs.some((l) => /^POST \/api\/v1\/namespaces\/default\/configmaps 201 [\d.]+ms /.test(l)), 'access log line');
  assert.ok(!logs.some((l) => / 500 /.test(l)), 'no 500 in the access log');
});

test('Table output and watch over HTTP', async (t) => {
  const { url } = await start(t, { historySize: 5 });
  for (const name of ['a', 'b']) assert.equal((await fetch(`${url}/api/v1/namespaces/default/configmaps`, json({ metadata: { name }, data: { k: name } }))).status, 201);
  const table = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
  assert.match(table.headers.get('content-type')!, /as=Table/);
  const tb = (await table.json()) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[]; metadata: { resourceVersion: string } };
  assert.equal(tb.kind, 'Table');
  assert.equal(tb.columnDefinitions[0]!.name, 'Name');
  assert.deepEqual(tb.rows.map((r) => r.cells[0]), ['a', 'b']);
  assert.equal(tb.rows[0]!.object.kind, 'PartialObjectMetadata');

  // Headers arrive at once even when no event is due.
  const ctl = new AbortController();
  const t0 = Date.now();
  const w = await fetch(`${url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${tb.metadata.resourceVersion}`, { signal: ctl.signal });
  assert.equal(w.status, 200);
  assert.ok(Date.now() - t0 < 1000, 'watch headers flushed at once');
  const reader = w.body!.getReader();
  await fetch(`${url}/api/v1/namespaces/default/configmaps/a`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"data":{"k":"z"}}' });
  let text = '';
  while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
  const ev = JSON.parse(text.split('\n')[0]!) as { type: string; object: { metadata: { name: string }; data: { k: string } } };
  assert.deepEqual([ev.type, ev.object.metadata.name, ev.object.data.k], ['MODIFIED', 'a', 'z']);
  ctl.abort();

  // timeoutSeconds ends the stream.
  const timed = await fetch(`${url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1`);
  const body = await timed.text();
  assert.equal(body.trim().split('\n').length, 2, 'the two synthetic ADDED events, then the end');

  // An expired resourceVersion: one ERROR event with the 410 Status.
  for (let i = 0; i < 10; i++) await fetch(`${url}/api/v1/namespaces/default/configmaps/b`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { k: String(i) } }) });
  const old = await fetch(`${url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1`);
  assert.equal(old.status, 200);
  const err = JSON.parse((await old.text()).trim()) as { type: string; object: { code: number; reason: string } };
  assert.deepEqual([err.type, err.object.code, err.object.reason], ['ERROR', 410, 'Expired']);
});

function httpsGet(url: string, opts: { ca: string; cert?: string; key?: string; token?: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const req = request(url, { ca: opts.ca, cert: opts.cert, key: opts.key, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('TLS with the cluster CA; client certificates and bearer tokens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await loadOrCreatePki(dir, serverSans('127.0.0.1', '10.43.0.1'));
  const again = await loadOrCreatePki(dir, serverSans('127.0.0.1', '10.43.0.1'));
  assert.equal(again.ca.cert, pki.ca.cert, 'the CA is kept in the data dir');
  assert.equal(again.server.cert, pki.server.cert, 'the server certificate is reused while its SANs fit');
  const tokens = loadOrCreateTokens(dir, ['node-1']);
  assert.deepEqual(loadOrCreateTokens(dir, ['node-1']), tokens);

  const apiDir = mkdtempSync(join(tmpdir(), 'stratus-apiserver-'));
  const api = await openRegistry({ dataDir: apiDir });
  const server = createApiServer({ api, tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert }, authenticator: createAuthenticator({ tokens, api }) });
  const url = await server.listen(0);
  t.after(async () => {
    await server.close();
    await api.close();
    rmSync(apiDir, { recursive: true, force: true });
  });
  const ca = pki.ca.cert;
  const who = (b: string) => (JSON.parse(b) as { kind: string }).kind;

  assert.equal((await httpsGet(`${url}/version`, { ca })).code, 200, '/version is public');
  const anon = await httpsGet(`${url}/api/v1/namespaces`, { ca });
  assert.equal(anon.code, 401);
  assert.equal((JSON.parse(anon.body) as { reason: string }).reason, 'Unauthorized');
  assert.equal(who((await httpsGet(`${url}/api/v1/namespaces`, { ca, cert: pki.admin.cert, key: pki.admin.key })).body), 'NamespaceList');
  assert.equal((await httpsGet(`${url}/api/v1/namespaces`, { ca, token: tokens.admin })).code, 200);
  assert.equal((await httpsGet(`${url}/api/v1/namespaces`, { ca, token: tokens.nodes['node-1'] })).code, 200);
  assert.equal((await httpsGet(`${url}/api/v1/namespaces`, { ca, token: 'wrong' })).code, 401);

  // A certificate from another CA is not accepted as a client identity.
  const otherDir = mkdtempSync(join(tmpdir(), 'stratus-pki-other-'));
  t.after(() => rmSync(otherDir, { recursive: true, force: true }));
  const other = await loadOrCreatePki(otherDir, ['127.0.0.1']);
  const foreign = issueCertificate(other.ca, { commonName: 'mallory', organizations: ['system:masters'], client: true });
  assert.equal((await httpsGet(`${url}/api/v1/namespaces`, { ca, cert: foreign.cert, key: foreign.key })).code, 401);

  // Service-account token secrets authenticate.
  await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  await api.create(SECRETS, 'default', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'robot-token', namespace: 'default', annotations: { 'kubernetes.io/service-account.name': 'robot' } },
    type: 'kubernetes.io/service-account-token',
    data: { token: Buffer.from('sa-secret-token').toString('base64') },
  });
  assert.equal((await httpsGet(`${url}/api/v1/namespaces`, { ca, token: 'sa-secret-token' })).code, 200);
});

test('stream upgrades answer errors with a Status before switching protocols', async (t) => {
  const { url } = await start(t);
  const port = Number(new URL(url).port);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write('POST /api/v1/namespaces/default/pods/ghost/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    });
    let buf = '';
    s.setEncoding('utf8').on('data', (d) => (buf += d)).on('end', () => resolve(buf)).on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 404 /);
  assert.match(answer, /"message":"pods \\"ghost\\" not found","reason":"NotFound"/);
});
