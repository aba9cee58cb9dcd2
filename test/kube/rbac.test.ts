import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { stringify } from 'yaml';
import { requireTools } from '../support/proc.js';
import { eventually, startTestKube } from '../support/kube.js';

// RBAC with the real kubectl: a service account's token is refused until a Role and a
// RoleBinding grant it (made with `kubectl create role|rolebinding`, protobuf bodies), `kubectl
// auth can-i` / `--list` / `whoami`, impersonation with `--as`, aggregated ClusterRoles,
// escalation prevention, 422 Status for bad RBAC bodies, and the authorizer's cache following
// writes at once.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

interface Reply {
  code: number;
  body: Record<string, unknown>;
}

const ROBOT = 'system:serviceaccount:team:robot';
const ROBOT_GROUPS = '["system:serviceaccounts" "system:serviceaccounts:team" "system:authenticated"]';

test('RBAC: authorization, review APIs, impersonation, escalation', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 1 });
  const { url, caPem, adminToken } = k.cluster;
  const call = (method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = o.body === undefined ? undefined : JSON.stringify(o.body);
      const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${o.token ?? adminToken}` };
      if (data) headers['Content-Type'] = 'application/json';
      const req = request(`${url}${path}`, { method, ca: caPem, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: Record<string, unknown>;
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

  await k.ok(['create', 'namespace', 'team']);
  await k.ok(['create', 'serviceaccount', 'robot', '-n', 'team']);
  const token = (await k.ok(['create', 'token', 'robot', '-n', 'team'])).trim();
  // A kubeconfig with the token only, as a user of the account would have (the admin one
  // carries a client certificate, which would authenticate first).
  const robotConfig = k.manifest('robot.kubeconfig', stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'robot', user: { token } }],
    contexts: [{ name: 'robot', context: { cluster: 'c', user: 'robot', namespace: 'team' } }],
    'current-context': 'robot',
  }));
  const robot = (args: string[]) => k.kubectl([...args, '--kubeconfig', robotConfig]);

  await t.test('the default policy is bootstrapped; kubectl prints it as upstream', async () => {
    const roles = await k.ok(['get', 'clusterroles']);
    assert.match(roles, /^NAME\s+CREATED AT$/m);
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer']) assert.match(roles, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'));
    const wide = await k.ok(['get', 'clusterrolebinding', 'cluster-admin', 'system:public-info-viewer', '-o', 'wide']);
    assert.match(wide, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/m);
    assert.match(wide, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/m);
    assert.match(wide, /system:authenticated, system:unauthenticated/);
    const labels = JSON.parse(await k.ok(['get', 'clusterrole', 'view', '-o', 'json'])) as { metadata: { labels: Record<string, string> } };
    assert.equal(labels.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
  });

  await t.test('a service account is forbidden with the upstream message until bound', async () => {
    const r = await robot(['get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Error from server \\(Forbidden\\): pods is forbidden: User "${ROBOT}" cannot list resource "pods" in API group "" in the namespace "team"`));
    const one = await robot(['get', 'deployment', 'web', '-n', 'default']);
    assert.match(one.stderr, new RegExp(`deployments.apps "web" is forbidden: User "${ROBOT}" cannot get resource "deployments" in API group "apps" in the namespace "default"`));
    const nodes = await robot(['get', 'nodes']);
    assert.match(nodes.stderr, /nodes is forbidden: User "system:serviceaccount:team:robot" cannot list resource "nodes" in API group "" at the cluster scope/);
    const path = await call('GET', '/metrics', { token });
    assert.equal(path.code, 403);
    assert.equal(path.body.message, `forbidden: User "${ROBOT}" cannot get path "/metrics"`);
    // discovery, /version and the self reviews stay open to every authenticated user
    assert.equal((await call('GET', '/apis', { token })).code, 200);
    assert.equal((await call('GET', '/version', { token })).code, 200);
  });

  await t.test('kubectl create role / rolebinding grant access in that namespace only', async () => {
    assert.match(await k.ok(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods', '-n', 'team']), /role.rbac.authorization.k8s.io\/pod-reader created/);
    assert.match(await k.ok(['create', 'rolebinding', 'robot-reads', '--role=pod-reader', '--serviceaccount=team:robot', '-n', 'team']), /rolebinding.rbac.authorization.k8s.io\/robot-reads created/);
    const ok = await robot(['get', 'pods']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /No resources found in team namespace/);
    const other = await robot(['get', 'pods', '-n', 'default']);
    assert.match(other.stderr, /pods is forbidden: .* in the namespace "default"/);
    const wide = await k.ok(['get', 'rolebinding', 'robot-reads', '-n', 'team', '-o', 'wide']);
    assert.match(wide, /^robot-reads\s+Role\/pod-reader\s+\S+\s+team\/robot\s*$/m);
    assert.match(await k.ok(['get', 'role', '-n', 'team']), /^pod-reader\s+\d{4}-/m);
  });

  await t.test('kubectl auth can-i, can-i --list and whoami', async () => {
    const yes = await robot(['auth', 'can-i', 'list', 'pods']);
    assert.equal(yes.code, 0);
    assert.equal(yes.stdout.trim(), 'yes');
    const no = await robot(['auth', 'can-i', 'delete', 'pods']);
    assert.equal(no.code, 1);
    assert.equal(no.stdout.trim(), 'no');
    assert.equal((await robot(['auth', 'can-i', 'get', 'pods', '-n', 'default'])).stdout.trim(), 'no');
    const list = (await robot(['auth', 'can-i', '--list'])).stdout;
    assert.match(list, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /^selfsubjectaccessreviews.authorization.k8s.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list, /^\s+\[\/version\]\s+\[\]\s+\[get\]$/m);
    const who = (await robot(['auth', 'whoami'])).stdout;
    assert.match(who, new RegExp(`^Username\\s+${ROBOT}$`, 'm'));
    assert.match(who, /^Groups\s+\[system:serviceaccounts system:serviceaccounts:team system:authenticated\]$/m);
    assert.match(await k.ok(['auth', 'whoami']), /^Groups\s+\[system:masters system:authenticated\]$/m);
    assert.equal((await k.ok(['auth', 'can-i', '*', '*'])).trim(), 'yes');
  });

  await t.test('impersonation: the admin acts --as others; the account may not', async () => {
    const as = await k.kubectl(['--as', ROBOT, 'get', 'pods', '-n', 'default']);
    assert.match(as.stderr, new RegExp(`pods is forbidden: User "${ROBOT}" cannot list resource "pods" in API group "" in the namespace "default"`));
    assert.equal((await k.kubectl(['--as', ROBOT, 'get', 'pods', '-n', 'team'])).code, 0);
    const jane = await k.ok(['--as', 'jane', '--as-group', 'devs', 'auth', 'whoami']);
    assert.match(jane, /^Username\s+jane$/m);
    assert.match(jane, /^Groups\s+\[devs system:authenticated\]$/m);
    assert.equal((await k.kubectl(['--as', 'jane', 'auth', 'can-i', 'list', 'pods', '-n', 'team'])).stdout.trim(), 'no');
    const refused = await robot(['--as', 'jane', 'get', 'pods']);
    assert.match(refused.stderr, new RegExp(`users "jane" is forbidden: User "${ROBOT}" cannot impersonate resource "users" in API group "" at the cluster scope`));
  });

  await t.test('an aggregated ClusterRole gathers the rules of matching roles', async () => {
    const view = JSON.parse(await k.ok(['get', 'clusterrole', 'view', '-o', 'json'])) as { rules: { resources: string[] }[] };
    assert.ok(view.rules.some((r) => r.resources.includes('pods')), 'view has the pod rules');
    const admin = JSON.parse(await k.ok(['get', 'clusterrole', 'admin', '-o', 'json'])) as { rules: { resources: string[] }[] };
    assert.ok(admin.rules.some((r) => r.resources.includes('rolebindings')) && admin.rules.some((r) => r.resources.includes('pods')), 'admin aggregates edit and view');
    await k.ok(['apply', '-f', '-'], {
      stdin: stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }] }),
    });
    for (const name of ['view', 'edit', 'admin']) {
      await eventually(async () => (JSON.parse(await k.ok(['get', 'clusterrole', name, '-o', 'json'])) as { rules: { resources: string[] }[] }).rules.some((r) => r.resources.includes('widgets')), 10_000, `${name} to get the widgets rule`);
    }
    // binding the aggregated view role lets the robot read deployments in team
    await k.ok(['create', 'rolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=team:robot', '-n', 'team']);
    assert.equal((await robot(['auth', 'can-i', 'get', 'deployments.apps'])).stdout.trim(), 'yes');
    const widgets = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token, body: { spec: { resourceAttributes: { namespace: 'team', verb: 'get', group: 'example.com', resource: 'widgets' } } } });
    assert.equal(widgets.code, 201);
    assert.deepEqual(widgets.body.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "robot-view/team" of ClusterRole "view" to ServiceAccount "robot/team"' });
  });

  await t.test('escalation is refused: roles beyond the writer\'s rights, bindings to stronger roles', async () => {
    await k.ok(['create', 'role', 'rbac-writer', '--verb=create,get,update,patch', '--resource=roles,rolebindings', '-n', 'team']);
    await k.ok(['create', 'rolebinding', 'robot-writes-rbac', '--role=rbac-writer', '--serviceaccount=team:robot', '-n', 'team']);
    const secrets = await robot(['create', 'role', 'secret-reader', '--verb=get', '--resource=secrets']);
    assert.equal(secrets.code, 1);
    assert.match(secrets.stderr, new RegExp(`roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "${ROBOT}" \\(groups=\\[${ROBOT_GROUPS.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]\\) is attempting to grant RBAC permissions not currently held:\\n\\{APIGroups:\\[""\\], Resources:\\["secrets"\\], Verbs:\\["get"\\]\\}`));
    // rules the writer holds are fine
    assert.equal((await robot(['create', 'role', 'pod-getter', '--verb=get', '--resource=pods'])).code, 0);
    const bind = await robot(['create', 'rolebinding', 'jane-admin', '--clusterrole=admin', '--user=jane']);
    assert.match(bind.stderr, /rolebindings.rbac.authorization.k8s.io "jane-admin" is forbidden: user "system:serviceaccount:team:robot" .* is attempting to grant RBAC permissions not currently held/);
    assert.equal((await robot(['create', 'rolebinding', 'jane-reads', '--role=pod-getter', '--user=jane'])).code, 0);
    // with the `bind` verb on the admin ClusterRole the same binding is allowed
    await k.ok(['create', 'role', 'admin-binder', '--verb=bind', '--resource=clusterroles', '--resource-name=admin', '-n', 'team']);
    await k.ok(['create', 'rolebinding', 'robot-binds-admin', '--role=admin-binder', '--serviceaccount=team:robot', '-n', 'team']);
    assert.equal((await robot(['create', 'rolebinding', 'jane-admin', '--clusterrole=admin', '--user=jane'])).code, 0);
  });

  await t.test('bad RBAC bodies get 422 (or 400/405) Status, never 500', async () => {
    const rb = (body: Record<string, unknown>) => call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', ...body } });
    const badKind = await rb({ metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Robot', name: 'r' }, subjects: [{ kind: 'Robot', name: 'r' }] });
    assert.equal(badKind.code, 422);
    assert.equal(badKind.body.reason, 'Invalid');
    assert.match(String(badKind.body.message), /^RoleBinding.rbac.authorization.k8s.io "x" is invalid: \[roleRef.kind: Unsupported value: "Robot": supported values: "Role", "ClusterRole", subjects\[0\].kind: Unsupported value: "Robot"/);
    const causes = (badKind.body.details as { causes: { field: string; reason: string }[] }).causes;
    assert.deepEqual(causes.map((c) => c.field), ['roleRef.kind', 'subjects[0].kind']);
    const noRef = await rb({ metadata: { name: 'y' }, subjects: 'everyone' });
    assert.equal(noRef.code, 422);
    assert.deepEqual((noRef.body.details as { causes: { field: string }[] }).causes.map((c) => c.field), ['roleRef', 'subjects']);
    const saNoNs = await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { body: { metadata: { name: 'z' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'robot' }] } });
    assert.equal(saNoNs.code, 422);
    assert.match(String(saNoNs.body.message), /subjects\[0\].namespace: Required value/);
    const badRules = await call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { body: { metadata: { name: 'r' }, rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }, 7] } });
    assert.equal(badRules.code, 422);
    assert.deepEqual((badRules.body.details as { causes: { field: string }[] }).causes.map((c) => c.field), ['rules[0].verbs', 'rules[0].apiGroups', 'rules[1].nonResourceURLs', 'rules[2]']);
    // roleRef is immutable
    const put = await call('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/robot-reads');
    const obj = put.body as { roleRef: { name: string } };
    obj.roleRef.name = 'pod-getter';
    const upd = await call('PUT', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/robot-reads', { body: obj });
    assert.equal(upd.code, 422);
    assert.match(String(upd.body.message), /roleRef: Invalid value: .*cannot change roleRef/);
    // reviews: a spec naming neither or both kinds of attributes is 422; other verbs are 405
    const empty = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token, body: { spec: {} } });
    assert.equal(empty.code, 422);
    assert.match(String(empty.body.message), /^SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: .*exactly one of nonResourceAttributes or resourceAttributes must be specified/);
    assert.equal((await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token, body: [1] })).code, 400);
    assert.equal((await call('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).code, 405);
    const sar = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: { spec: { user: ROBOT, groups: ['system:serviceaccounts'], resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } } } });
    assert.equal(sar.code, 201);
    assert.equal((sar.body.status as { allowed: boolean }).allowed, true);
    assert.match(String((sar.body.status as { reason: string }).reason), /^RBAC: allowed by RoleBinding "robot-reads\/team" of Role "pod-reader" to ServiceAccount "robot\/team"$/);
    assert.equal((await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { token, body: { spec: { user: 'x', nonResourceAttributes: { path: '/', verb: 'get' } } } })).code, 403, 'SubjectAccessReview needs its own grant');
  });

  await t.test('writes to RBAC objects reach the authorizer at once (watch-invalidated cache)', async () => {
    const path = '/api/v1/namespaces/team/secrets';
    assert.equal((await call('GET', path, { token })).code, 403);
    const body = { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] };
    assert.equal((await call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { body })).code, 201);
    const binding = { metadata: { name: 'cm' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'team' }] };
    assert.equal((await call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', { body: binding })).code, 201);
    assert.equal((await call('GET', path, { token })).code, 200, 'allowed right after the binding');
    assert.equal((await call('DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles/cm-reader')).code, 200);
    const gone = await call('GET', path, { token });
    assert.equal(gone.code, 403, 'refused right after the role is deleted');
    assert.match(String(gone.body.message), /cannot list resource "secrets" in API group "" in the namespace "team": RBAC: role.rbac.authorization.k8s.io "cm-reader" not found$/);
  });
});
