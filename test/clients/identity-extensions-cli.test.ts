// The real `openstack` CLI against Keystone extensions of an in-process Stratus: OS-OAUTH1
// (keystoneauth's v3oauth1 plugin signs with oauthlib), OS-EP-FILTER and policies.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { cleanEnv, cliEnv, onPath, requireTools, run, type RunResult } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
type Row = Record<string, unknown>;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack CLI: Keystone extensions', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack CLI: Keystone extensions', { concurrency: 2, timeout: 180_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-idx-cli-'));
      tc = await startTestCloud();
      env = cliEnv(dir, tc.authUrl, { admin: 'admin', demo: 'demo' });
    });
    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const show = (args: string[], r: RunResult) => `openstack ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
    async function json<T = Row>(e: NodeJS.ProcessEnv, args: string[]): Promise<T> {
      const full = [...args, '-f', 'json'];
      const r = await run('openstack', full, { env: e, timeoutMs: 60_000 });
      assert.equal(r.code, 0, show(full, r));
      return JSON.parse(r.stdout) as T;
    }
    const as = (cloud: string, ...args: string[]) => json(env, ['--os-cloud', cloud, ...args]);

    test('OAuth1: consumer, request token, authorize, access token, then a token from it', async () => {
      const consumer = await as('admin', 'consumer', 'create', '--description', 'cli app');
      try {
        // The admin delegates its admin role on its own project (the CLI resolves role names
        // with an admin-only listing, so the authorizer is the admin here).
        const project = await as('admin', 'project', 'show', 'admin');
        const rt = await as('admin', 'request', 'token', 'create', '--consumer-key', consumer.id as string, '--consumer-secret', consumer.secret as string, '--project', project.id as string);
        const auth = await as('admin', 'request', 'token', 'authorize', '--request-key', rt.id as string, '--role', 'admin');
        const at = await as('admin', 'access', 'token', 'create', '--consumer-key', consumer.id as string, '--consumer-secret', consumer.secret as string,
          '--request-key', rt.id as string, '--request-secret', rt.secret as string, '--verifier', auth.oauth_verifier as string);
        const oauthArgs = ['--os-auth-url', tc.authUrl + '/v3', '--os-identity-api-version', '3', '--os-auth-type', 'v3oauth1',
          '--os-consumer-key', consumer.id as string, '--os-consumer-secret', consumer.secret as string, '--os-access-key', at.id as string];
        const tok = await json(cleanEnv(), [...oauthArgs, '--os-access-secret', at.secret as string, 'token', 'issue']);
        assert.equal(tok.project_id, project.id);
        const bad = await run('openstack', [...oauthArgs, '--os-access-secret', 'wrong', 'token', 'issue'], { env: cleanEnv(), timeoutMs: 60_000 });
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /HTTP 401/);
      } finally {
        await run('openstack', ['--os-cloud', 'admin', 'consumer', 'delete', consumer.id as string], { env, timeoutMs: 60_000 });
      }
    });

    test('endpoint groups and policies', async () => {
      const filters = join(dir, 'filters.json');
      writeFileSync(filters, JSON.stringify({ interface: 'public' }));
      const name = uniqueName('cli-eg');
      const eg = await as('admin', 'endpoint', 'group', 'create', '--description', 'public ones', name, filters);
      assert.equal(eg.name, name);
      try {
        const add = await run('openstack', ['--os-cloud', 'admin', 'endpoint', 'group', 'add', 'project', name, 'demo'], { env, timeoutMs: 60_000 });
        assert.equal(add.code, 0, add.stderr);
        const groups = await json<Row[]>(env, ['--os-cloud', 'admin', 'endpoint', 'group', 'list', '--project', 'demo']);
        assert.deepEqual(groups.map((g) => g.ID), [eg.id]);
        const cat = await json<Row[]>(env, ['--os-cloud', 'demo', 'catalog', 'list']);
        assert.ok(cat.length > 0);
        for (const s of cat) for (const e of s.Endpoints as Row[]) assert.equal(e.interface, 'public', 'the group limits demo to public endpoints');
      } finally {
        await run('openstack', ['--os-cloud', 'admin', 'endpoint', 'group', 'delete', name], { env, timeoutMs: 60_000 });
      }
      const blob = join(dir, 'policy.json');
      writeFileSync(blob, '{"identity:list_users": "role:admin"}');
      const pol = await as('admin', 'policy', 'create', '--type', 'application/json', blob);
      const shown = await as('admin', 'policy', 'show', pol.id as string);
      assert.equal(shown.type, 'application/json');
      assert.match(String(shown.blob ?? shown.rules), /list_users/);
      await run('openstack', ['--os-cloud', 'admin', 'policy', 'delete', pol.id as string], { env, timeoutMs: 60_000 });
    });
  });
}
