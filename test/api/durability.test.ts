import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { byName, create, issue, passwordAuth, roleId, TOKENS, validateStatus } from './helpers.js';

const V3 = '/identity/v3';
const ROOT = new URL('../../../', import.meta.url).pathname; // dist/test/api → repo root

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stratus-durability-'));
  dirs.push(d);
  return d;
}
after(() => {
  // Even when a test failed midway: no child outlives the suite, no temp dir is left.
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('durability: restart on the same data dir', () => {
  it('keeps identity data, token keys and revocations across a restart', async () => {
    const dataDir = tempDir();
    let c: TestCloud | undefined = await startTestCloud({ dataDir });
    const saved: Record<string, any> = {};
    try {
      assert.equal(c.cloud.store.backend, 'sqlite');
      const admin = await c.token('admin');
      const project = await create(c, admin, '/projects', 'project', { name: 'durable-project', tags: ['keep'] });
      const user = await create(c, admin, '/users', 'user', { name: 'durable-user', password: 'durable-pw', email: 'd@example.com' });
      const role = await create(c, admin, '/roles', 'role', { name: 'durable-role' });
      const member = await roleId(c, admin, 'member');
      for (const r of [member, role.id]) {
        assert.equal((await c.req('PUT', `${V3}/projects/${project.id}/users/${user.id}/roles/${r}`, { token: admin })).status, 204);
      }
      assert.equal((await c.req('PUT', `${V3}/roles/${role.id}/implies/${member}`, { token: admin })).status, 201);
      const group = await create(c, admin, '/groups', 'group', { name: 'durable-group' });
      await c.req('PUT', `${V3}/groups/${group.id}/users/${user.id}`, { token: admin });
      const svc = await create(c, admin, '/services', 'service', { type: 'durable', name: 'dur' });
      await create(c, admin, '/endpoints', 'endpoint', { service_id: svc.id, interface: 'public', url: 'http://durable.example/$(project_id)s' });

      const scoped = passwordAuth({ id: user.id }, { project: { id: project.id } }, 'durable-pw');
      const userToken = (await issue(c, scoped)).token;
      const ac = await c.req('POST', `${V3}/users/${user.id}/application_credentials`, { token: userToken, body: { application_credential: { name: 'durable-ac' } } });
      assert.equal(ac.status, 201, ac.text);
      const ec2 = await c.req('POST', `${V3}/users/${user.id}/credentials/OS-EC2`, { token: userToken, body: { tenant_id: project.id } });
      assert.equal(ec2.status, 201);
      const revoked = (await issue(c, scoped)).token;
      assert.equal((await c.req('DELETE', TOKENS, { token: admin, headers: { 'x-subject-token': revoked } })).status, 204);
      // A user whose password changed: the revocation event must persist too.
      const other = await create(c, admin, '/users', 'user', { name: 'durable-other', password: 'before' });
      const otherToken = (await issue(c, passwordAuth({ id: other.id }, undefined, 'before'))).token;
      await new Promise((r) => setTimeout(r, 2));
      await c.req('POST', `${V3}/users/${other.id}/password`, { body: { user: { original_password: 'before', password: 'after' } } });
      assert.equal(await validateStatus(c, admin, otherToken), 404);
      Object.assign(saved, { admin, project, user, role, group, userToken, revoked, otherToken, ac: ac.body.application_credential, ec2: ec2.body.credential, oldUrl: c.url });
      await c.close();
      c = undefined;

      c = await startTestCloud({ dataDir });
      assert.equal(c.cloud.firstStart, false, 'bootstrap does not run again');
      // Old tokens still validate: the key was persisted.
      assert.equal(await validateStatus(c, saved.admin, saved.userToken), 200);
      const v = await c.req('GET', TOKENS, { token: saved.admin, headers: { 'x-subject-token': saved.userToken } });
      assert.deepEqual(v.body.token.roles.map((r: any) => r.name).sort(), ['durable-role', 'member', 'reader']);
      assert.equal(v.body.token.project.id, saved.project.id);
      // Revocations were persisted.
      assert.equal(await validateStatus(c, saved.admin, saved.revoked), 404);
      assert.equal(await validateStatus(c, saved.admin, saved.otherToken), 404);
      await issue(c, passwordAuth({ id: saved.user.id }, undefined, 'durable-pw'));
      assert.equal((await c.req('POST', TOKENS, { body: passwordAuth({ name: 'durable-other', domain: { id: 'default' } }, undefined, 'before') })).status, 401);
      await issue(c, passwordAuth(byName('durable-other'), undefined, 'after'));

      const adminTok = saved.admin as string;
      const p = await c.req('GET', `${V3}/projects/${saved.project.id}`, { token: adminTok });
      assert.equal(p.body.project.name, 'durable-project');
      assert.deepEqual(p.body.project.tags, ['keep']);
      const u = await c.req('GET', `${V3}/users/${saved.user.id}`, { token: adminTok });
      assert.equal(u.body.user.email, 'd@example.com');
      assert.equal((await c.req('GET', `${V3}/groups/${saved.group.id}/users/${saved.user.id}`, { token: adminTok })).status, 204);
      assert.equal((await c.req('GET', `${V3}/roles/${saved.role.id}`, { token: adminTok })).body.role.name, 'durable-role');
      const ra = await c.req('GET', `${V3}/role_assignments?user.id=${saved.user.id}`, { token: adminTok });
      assert.equal(ra.body.role_assignments.length, 2);

      // Application and EC2 credentials.
      const acTok = await issue(c, { auth: { identity: { methods: ['application_credential'], application_credential: { id: saved.ac.id, secret: saved.ac.secret } } } });
      assert.equal(acTok.body.token.project.id, saved.project.id);
      const e = await c.req('GET', `${V3}/users/${saved.user.id}/credentials/OS-EC2/${saved.ec2.access}`, { token: adminTok });
      assert.equal(e.body.credential.secret, saved.ec2.secret);

      // The catalog follows the new address; the operator's endpoint is kept as it was.
      const fresh = await issue(c, passwordAuth({ id: saved.user.id }, { project: { id: saved.project.id } }, 'durable-pw'));
      const identity = fresh.body.token.catalog.find((s: any) => s.type === 'identity');
      assert.equal(identity.endpoints.length, 3, 'no duplicate managed endpoints');
      assert.ok(identity.endpoints.every((x: any) => x.url === `${c!.url}/identity`), JSON.stringify(identity.endpoints));
      const dur = fresh.body.token.catalog.find((s: any) => s.type === 'durable');
      assert.equal(dur.endpoints[0].url, `http://durable.example/${saved.project.id}`);
    } finally {
      await c?.close();
    }
  });
});

/** Starts `stratus up` as a child process and resolves with its URL. */
function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env = { ...process.env };
  delete env.STRATUS_ADMIN_PASSWORD;
  delete env.STRATUS_DATA_DIR;
  const child = spawn(process.execPath, ['bin/stratus.js', 'up', '--data-dir', dataDir, '--port', '0', '--no-clouds-yaml', '--log-level', 'error'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stratus up did not start in 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      keep(b);
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`stratus up exited (${code ?? sig}) before listening:\n${out}`));
    });
  });
}

async function json(url: string, method: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers['x-auth-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

async function adminToken(url: string): Promise<string> {
  const r = await json(`${url}/identity/v3/auth/tokens`, 'POST', passwordAuth(byName('admin'), { project: byName('admin') }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.headers.get('x-subject-token')!;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('durability: kill -9 under load', () => {
  it('every project acknowledged with 201 before SIGKILL exists after a restart', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const first = await startChild(dataDir);
    const token = await adminToken(first.url);
    const acked: { id: string; name: string }[] = [];
    let sent = 0;
    let failed = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `kill9-${w}-${i}`;
        sent++;
        try {
          const r = await json(`${first.url}${V3}/projects`, 'POST', { project: { name } }, token);
          if (r.status === 201) acked.push({ id: r.body.project.id, name });
          else throw new Error(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
        } catch (e) {
          if (!stop) throw e;
          failed++;
          return;
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    // Let the load build up, then pull the plug while requests are in flight.
    const until = Date.now() + 15_000;
    while (acked.length < 150 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.ok(acked.length > 0, `no project was acknowledged:\n${first.output()}`);
    stop = true;
    process.kill(first.child.pid!, 'SIGKILL');
    await Promise.all(workers);
    const ex = await exited(first.child);
    assert.equal(ex.signal, 'SIGKILL');
    const ackedAtKill = acked.length;

    const second = await startChild(dataDir);
    try {
      assert.match(second.output(), /store open \(sqlite, schema v\d+/);
      assert.equal((await json(`${second.url}/health`, 'GET')).status, 200);
      const t2 = await adminToken(second.url);
      // The old admin token still validates: keys survived the crash.
      const old = await fetch(`${second.url}${V3}/auth/tokens`, { headers: { 'x-auth-token': t2, 'x-subject-token': token } });
      assert.equal(old.status, 200);
      const list = await json(`${second.url}${V3}/projects`, 'GET', undefined, t2);
      assert.equal(list.status, 200);
      const have = new Map<string, string>(list.body.projects.map((p: any) => [p.id, p.name]));
      const missing = acked.filter((p) => have.get(p.id) !== p.name);
      assert.deepEqual(missing, [], `${missing.length} of ${ackedAtKill} acknowledged projects lost`);
      // Every project that exists is whole, and names stay unique.
      const names = list.body.projects.map((p: any) => p.name);
      assert.equal(new Set(names).size, names.length);
      const inFlight = sent - ackedAtKill;
      console.log(`kill -9: ${ackedAtKill} acknowledged, ${inFlight} in flight (${failed} failed), ${names.filter((n: string) => n.startsWith('kill9-')).length} present after restart`);
      // The store takes writes again.
      assert.equal((await json(`${second.url}${V3}/projects`, 'POST', { project: { name: 'after-crash' } }, t2)).status, 201);
    } finally {
      if (second.child.pid && second.child.exitCode === null) process.kill(second.child.pid, 'SIGTERM');
    }
    const ex2 = await exited(second.child);
    assert.equal(ex2.code, 0, `clean shutdown:\n${second.output()}`);
    const db = new Database(join(dataDir, 'stratus.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});
