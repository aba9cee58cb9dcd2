// The real `openstack` CLI (Debian's python3-openstackclient) against an in-process Stratus.
// Every flow uses unique names and removes what it made. The CLI is always spawned
// asynchronously: the cloud is served from this very process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, type RunResult, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
const CLOUDS = { admin: 'admin', demo: 'demo', demo_reader: 'demo', alt_demo: 'alt_demo' } as const;
type CloudName = keyof typeof CLOUDS;

type Row = Record<string, unknown>;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack CLI against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack CLI against Stratus', { concurrency: 3, timeout: 300_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const ids: { demoUser?: string; demoProject?: string; adminUser?: string; adminProject?: string } = {};

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
      tc = await startTestCloud({ sqlite: true });
      env = cliEnv(dir, tc.authUrl, CLOUDS);
      // Ids to compare the CLI's answers with, read straight from the API.
      const admin = await tc.token('admin');
      const me = await tc.req('GET', '/identity/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': await tc.token('demo') } });
      ids.demoUser = me.body.token.user.id;
      ids.demoProject = me.body.token.project.id;
      const self = await tc.req('GET', '/identity/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': admin } });
      ids.adminUser = self.body.token.user.id;
      ids.adminProject = self.body.token.project.id;
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** `openstack <args>` with the clouds.yaml environment; never rejects on a non-zero exit. */
    const cli = (args: string[]): Promise<RunResult> => run('openstack', args, { env, timeoutMs: 90_000 });
    const show = (args: string[], r: RunResult) =>
      `openstack ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;

    /** Runs as a cloud from clouds.yaml and asserts success; returns stdout. */
    async function os(cloud: CloudName, ...args: string[]): Promise<string> {
      const full = ['--os-cloud', cloud, ...args];
      const r = await cli(full);
      assert.equal(r.code, 0, show(full, r));
      return r.stdout;
    }
    /** Like `os` with `-f json`, parsed. */
    async function osJson<T = Row>(cloud: CloudName, ...args: string[]): Promise<T> {
      const out = await os(cloud, ...args, '-f', 'json');
      try {
        return JSON.parse(out) as T;
      } catch {
        assert.fail(`openstack --os-cloud ${cloud} ${args.join(' ')} -f json printed no JSON:\n${out}`);
      }
    }
    /** Asserts that the command fails and that stderr names the HTTP status. */
    async function refused(status: number, full: string[]): Promise<RunResult> {
      const r = await cli(full);
      assert.notEqual(r.code, 0, `expected a refusal: ${show(full, r)}`);
      assert.match(r.stderr, new RegExp(`HTTP ${status}`), show(full, r));
      return r;
    }
    const names = (rows: Row[], key = 'Name') => rows.map((r) => r[key]);

    test('admin: token issue and catalog list', async () => {
      const [tok, catalog] = await Promise.all([
        osJson('admin', 'token', 'issue'),
        osJson<Row[]>('admin', 'catalog', 'list'),
      ]);
      assert.equal(typeof tok.id, 'string');
      assert.ok((tok.id as string).length > 20);
      assert.equal(tok.user_id, ids.adminUser);
      assert.equal(tok.project_id, ids.adminProject);
      assert.ok(tok.expires);
      const identity = catalog.find((e) => e.Type === 'identity');
      assert.ok(identity, `no identity service in ${JSON.stringify(catalog)}`);
      const eps = identity.Endpoints as Row[];
      assert.deepEqual(new Set(eps.map((e) => e.interface)), new Set(['public', 'internal', 'admin']));
      for (const e of eps) {
        assert.equal(e.url, tc.authUrl);
        assert.equal(e.region, 'RegionOne');
      }
    });

    test('admin: project create, list, show, set, delete', async () => {
      const name = uniqueName('cli-proj');
      const renamed = `${name}-renamed`;
      const created = await osJson('admin', 'project', 'create', '--description', 'made by the CLI test', '--domain', 'default', name);
      assert.equal(created.name, name);
      assert.equal(created.description, 'made by the CLI test');
      assert.equal(created.domain_id, 'default');
      assert.equal(created.enabled, true);
      try {
        const list = await osJson<Row[]>('admin', 'project', 'list');
        assert.ok(names(list).includes(name));
        for (const p of ['admin', 'demo', 'alt_demo', 'service']) assert.ok(names(list).includes(p), `${p} missing from project list`);
        const shown = await osJson('admin', 'project', 'show', name);
        assert.equal(shown.id, created.id);
        await os('admin', 'project', 'set', '--name', renamed, '--description', 'changed', '--disable', name);
        const after = await osJson('admin', 'project', 'show', created.id as string);
        assert.equal(after.name, renamed);
        assert.equal(after.description, 'changed');
        assert.equal(after.enabled, false);
      } finally {
        await os('admin', 'project', 'delete', created.id as string);
      }
      const gone = await osJson<Row[]>('admin', 'project', 'list');
      assert.ok(!names(gone, 'ID').includes(created.id));
    });

    test('admin: user create, list, show, set (incl. --password), delete', async () => {
      const name = uniqueName('cli-user');
      const created = await osJson('admin', 'user', 'create', '--password', 'first-pw', '--email', `${name}@example.com`, '--domain', 'default', name);
      assert.equal(created.name, name);
      assert.equal(created.email, `${name}@example.com`);
      assert.equal(created.enabled, true);
      assert.ok(!('password' in created), 'the password must never be shown');
      try {
        const [list, shown] = await Promise.all([osJson<Row[]>('admin', 'user', 'list'), osJson('admin', 'user', 'show', name)]);
        assert.ok(names(list).includes(name));
        for (const u of ['admin', 'demo', 'demo_reader', 'alt_demo']) assert.ok(names(list).includes(u), `${u} missing from user list`);
        assert.equal(shown.id, created.id);
        await os('admin', 'user', 'set', '--password', 'second-pw', '--email', 'changed@example.com', name);
        const after = await osJson('admin', 'user', 'show', created.id as string);
        assert.equal(after.email, 'changed@example.com');
        // The new password works, the old one no longer does.
        const as = (pw: string) => ['--os-auth-url', tc.authUrl, '--os-username', name, '--os-password', pw, '--os-user-domain-id', 'default', 'token', 'issue', '-f', 'json'];
        const ok = await cli(as('second-pw'));
        assert.equal(ok.code, 0, show(as('second-pw'), ok));
        assert.equal(JSON.parse(ok.stdout).user_id, created.id);
        await refused(401, as('first-pw'));
      } finally {
        await os('admin', 'user', 'delete', created.id as string);
      }
      const gone = await cli(['--os-cloud', 'admin', 'user', 'show', created.id as string]);
      assert.notEqual(gone.code, 0, show(['user', 'show'], gone));
      assert.match(gone.stderr, /No user with a name or ID|HTTP 404/);
    });

    test('admin: role create, add, assignment list (--names, --effective), remove, delete', async () => {
      const role = uniqueName('cli-role');
      const created = await osJson('admin', 'role', 'create', role);
      assert.equal(created.name, role);
      try {
        const list = await osJson<Row[]>('admin', 'role', 'list');
        for (const r of [role, 'admin', 'member', 'reader']) assert.ok(names(list).includes(r), `${r} missing from role list`);
        await os('admin', 'role', 'add', '--user', 'alt_demo_member', '--user-domain', 'default', '--project', 'demo', '--project-domain', 'default', role);
        const direct = await osJson<Row[]>('admin', 'role', 'assignment', 'list', '--user', 'alt_demo_member', '--project', 'demo', '--names');
        assert.ok(
          direct.some((a) => a.Role === role && a.User === 'alt_demo_member@Default' && a.Project === 'demo@Default'),
          `no ${role} assignment in ${JSON.stringify(direct)}`,
        );
        // --effective expands implied roles: demo is a member of demo, so also a reader there.
        const eff = await osJson<Row[]>('admin', 'role', 'assignment', 'list', '--user', 'demo', '--project', 'demo', '--effective', '--names');
        const effRoles = eff.filter((a) => a.Project === 'demo@Default' && a.User === 'demo@Default').map((a) => a.Role);
        for (const r of ['member', 'reader', 'anotherrole']) assert.ok(effRoles.includes(r), `effective roles of demo on demo lack ${r}: ${JSON.stringify(eff)}`);
        assert.ok(!effRoles.includes('admin'));
        await os('admin', 'role', 'remove', '--user', 'alt_demo_member', '--project', 'demo', role);
        const afterRemove = await osJson<Row[]>('admin', 'role', 'assignment', 'list', '--user', 'alt_demo_member', '--names');
        assert.ok(!afterRemove.some((a) => a.Role === role), JSON.stringify(afterRemove));
      } finally {
        await os('admin', 'role', 'delete', role);
      }
    });

    test('admin: group create, add user, contains user, effective roles through it, delete', async () => {
      const group = uniqueName('cli-group');
      const created = await osJson('admin', 'group', 'create', '--domain', 'default', '--description', 'cli', group);
      assert.equal(created.name, group);
      const effective = async () =>
        (await osJson<Row[]>('admin', 'role', 'assignment', 'list', '--user', 'alt_demo_reader', '--effective', '--names')).filter(
          (a) => a.Role === 'anotherrole' && a.Project === 'demo@Default',
        );
      try {
        await os('admin', 'group', 'add', 'user', group, 'alt_demo_reader');
        const contains = await os('admin', 'group', 'contains', 'user', group, 'alt_demo_reader');
        assert.match(contains, new RegExp(`alt_demo_reader in group ${group}`));
        const not = await cli(['--os-cloud', 'admin', 'group', 'contains', 'user', group, 'demo']);
        assert.match(not.stdout + not.stderr, new RegExp(`demo not in group ${group}`), show(['group', 'contains', 'user'], not));
        await os('admin', 'role', 'add', '--group', group, '--project', 'demo', 'anotherrole');
        // The group's grant shows up among the member's effective assignments.
        assert.equal((await effective()).length, 1);
      } finally {
        await os('admin', 'group', 'delete', group);
      }
      // Deleting the group takes its grants and memberships with it.
      assert.equal((await effective()).length, 0);
    });

    test('admin: domain create, set --disable, delete', async () => {
      const name = uniqueName('cli-dom');
      const created = await osJson('admin', 'domain', 'create', '--description', 'cli', name);
      assert.equal(created.name, name);
      assert.equal(created.enabled, true);
      let deleted = false;
      try {
        await os('admin', 'domain', 'set', '--disable', name);
        const shown = await osJson('admin', 'domain', 'show', name);
        assert.equal(shown.enabled, false);
        await os('admin', 'domain', 'delete', name);
        deleted = true;
        const list = await osJson<Row[]>('admin', 'domain', 'list');
        assert.ok(!names(list).includes(name));
        assert.ok(names(list).includes('Default'));
      } finally {
        if (!deleted) {
          await cli(['--os-cloud', 'admin', 'domain', 'set', '--disable', created.id as string]);
          await cli(['--os-cloud', 'admin', 'domain', 'delete', created.id as string]);
        }
      }
    });

    test('admin: region create, list, delete', async () => {
      const id = uniqueName('cli-region');
      const created = await osJson('admin', 'region', 'create', '--description', 'cli', id);
      assert.equal(created.region, id);
      try {
        const list = await osJson<Row[]>('admin', 'region', 'list');
        assert.ok(names(list, 'Region').includes(id));
        assert.ok(names(list, 'Region').includes('RegionOne'));
      } finally {
        await os('admin', 'region', 'delete', id);
      }
    });

    test('admin: service create, endpoint create/list/delete, service delete', async () => {
      const name = uniqueName('cli-svc');
      const type = uniqueName('cli-type');
      const svc = await osJson('admin', 'service', 'create', '--name', name, '--description', 'cli', type);
      assert.equal(svc.name, name);
      assert.equal(svc.type, type);
      try {
        const ep = await osJson('admin', 'endpoint', 'create', '--region', 'RegionOne', name, 'public', 'http://127.0.0.1:9/cli');
        assert.equal(ep.service_id, svc.id);
        assert.equal(ep.interface, 'public');
        assert.equal(ep.url, 'http://127.0.0.1:9/cli');
        assert.equal(ep.region, 'RegionOne');
        try {
          const list = await osJson<Row[]>('admin', 'endpoint', 'list', '--service', name);
          assert.deepEqual(names(list, 'ID'), [ep.id]);
          assert.equal(list[0]!['Service Type'], type);
        } finally {
          await os('admin', 'endpoint', 'delete', ep.id as string);
        }
      } finally {
        await os('admin', 'service', 'delete', name);
      }
    });

    test('admin: application credential create, authenticate with it, delete', async () => {
      const name = uniqueName('cli-appcred');
      const ac = await osJson('admin', 'application', 'credential', 'create', '--description', 'cli', name);
      assert.equal(ac.name, name);
      assert.equal(typeof ac.secret, 'string');
      assert.equal(ac.project_id, ids.adminProject);
      const auth = [
        '--os-auth-type', 'v3applicationcredential',
        '--os-application-credential-id', ac.id as string,
        // `=`: a generated secret may start with '-', which argparse would take for an option.
        `--os-application-credential-secret=${ac.secret as string}`,
        '--os-auth-url', tc.authUrl,
        'token', 'issue', '-f', 'json',
      ];
      let deleted = false;
      try {
        const r = await cli(auth);
        assert.equal(r.code, 0, show(auth, r));
        const tok = JSON.parse(r.stdout);
        assert.equal(tok.user_id, ids.adminUser);
        assert.equal(tok.project_id, ids.adminProject);
        await os('admin', 'application', 'credential', 'delete', name);
        deleted = true;
        await refused(401, auth);
      } finally {
        if (!deleted) await cli(['--os-cloud', 'admin', 'application', 'credential', 'delete', name]);
      }
    });

    test('ec2 credentials: admin for demo, and demo for itself', async () => {
      const made: string[] = [];
      try {
        const byAdmin = await osJson('admin', 'ec2', 'credentials', 'create', '--user', 'demo', '--project', 'demo');
        made.push(byAdmin.access as string);
        assert.equal(byAdmin.user_id, ids.demoUser);
        assert.equal(byAdmin.project_id, ids.demoProject);
        assert.match(byAdmin.secret as string, /^\S{16,}$/);
        const byDemo = await osJson('demo', 'ec2', 'credentials', 'create');
        made.push(byDemo.access as string);
        assert.equal(byDemo.user_id, ids.demoUser);
        assert.equal(byDemo.project_id, ids.demoProject);
        const [adminView, demoView] = await Promise.all([
          osJson<Row[]>('admin', 'ec2', 'credentials', 'list', '--user', 'demo'),
          osJson<Row[]>('demo', 'ec2', 'credentials', 'list'),
        ]);
        for (const view of [adminView, demoView]) for (const a of made) assert.ok(names(view, 'Access').includes(a), `${a} missing: ${JSON.stringify(view)}`);
        // demo deletes its own, admin deletes the one it made for demo.
        await os('demo', 'ec2', 'credentials', 'delete', byDemo.access as string);
        made.splice(made.indexOf(byDemo.access as string), 1);
        await os('admin', 'ec2', 'credentials', 'delete', '--user', 'demo', byAdmin.access as string);
        made.splice(made.indexOf(byAdmin.access as string), 1);
        const left = await osJson<Row[]>('demo', 'ec2', 'credentials', 'list');
        assert.ok(!names(left, 'Access').includes(byAdmin.access) && !names(left, 'Access').includes(byDemo.access), JSON.stringify(left));
      } finally {
        for (const a of made) await cli(['--os-cloud', 'admin', 'ec2', 'credentials', 'delete', '--user', 'demo', a]);
      }
    });

    test('demo (member): token issue works', async () => {
      const tok = await osJson('demo', 'token', 'issue');
      assert.equal(tok.user_id, ids.demoUser);
      assert.equal(tok.project_id, ids.demoProject);
    });

    test('demo (member): admin-only operations are refused with 403', async () => {
      const probe = uniqueName('cli-forbidden');
      const cases = [
        ['project', 'create', probe],
        ['user', 'list'],
        ['role', 'list'],
        ['service', 'list'],
        ['project', 'show', 'alt_demo'],
      ];
      await Promise.all(cases.map((c) => refused(403, ['--os-cloud', 'demo', ...c])));
    });

    test('demo_reader: ec2 credentials create is refused (a reader writes nothing)', async () => {
      await refused(403, ['--os-cloud', 'demo_reader', 'ec2', 'credentials', 'create']);
    });
  });
}
