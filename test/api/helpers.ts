import assert from 'node:assert/strict';
import type { Res, TestCloud } from '../support/cloud.js';

/** Shared helpers for the identity API tests. */

export const TOKENS = '/identity/v3/auth/tokens';

export function passwordAuth(
  user: Record<string, unknown>,
  scope?: unknown,
  password = 'secret',
): { auth: Record<string, unknown> } {
  const auth: Record<string, unknown> = {
    identity: { methods: ['password'], password: { user: { ...user, password } } },
  };
  if (scope !== undefined) auth.scope = scope;
  return { auth };
}

export const byName = (name: string) => ({ name, domain: { id: 'default' } });

/** Issues a token; asserts 201 and returns the token id and body. */
export async function issue(c: TestCloud, body: unknown, query = ''): Promise<{ token: string; body: any; res: Res }> {
  const res = await c.req('POST', `${TOKENS}${query}`, { body });
  assert.equal(res.status, 201, `token issue: ${res.status} ${res.text}`);
  const token = res.headers.get('x-subject-token');
  assert.ok(token, 'X-Subject-Token header');
  return { token, body: res.body, res };
}

/** Asserts Keystone's error shape and the status. */
export function assertError(res: Res, status: number, what = ''): void {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  assertErrorShape(res, what);
}

export function assertErrorShape(res: Res, what = ''): void {
  const b = res.body;
  assert.ok(b && typeof b === 'object' && b.error && typeof b.error === 'object', `${what} error body: ${res.text.slice(0, 300)}`);
  assert.deepEqual(Object.keys(b.error).sort(), ['code', 'message', 'title'], `${what} error keys`);
  assert.equal(b.error.code, res.status, `${what} error.code equals status`);
  assert.equal(typeof b.error.title, 'string');
  assert.equal(typeof b.error.message, 'string');
  assert.ok(b.error.message.length > 0, `${what} message is not empty`);
}

/** Validates a token with another (admin) token; returns the status. */
export async function validateStatus(c: TestCloud, adminToken: string, subject: string): Promise<number> {
  const r = await c.req('GET', TOKENS, { token: adminToken, headers: { 'x-subject-token': subject } });
  return r.status;
}

export async function userId(c: TestCloud, adminToken: string, name: string): Promise<string> {
  const r = await c.req('GET', `/identity/v3/users?name=${encodeURIComponent(name)}`, { token: adminToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.users.length, 1, `one user named ${name}`);
  return r.body.users[0].id;
}

export async function projectId(c: TestCloud, adminToken: string, name: string): Promise<string> {
  const r = await c.req('GET', `/identity/v3/projects?name=${encodeURIComponent(name)}`, { token: adminToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.projects.length, 1, `one project named ${name}`);
  return r.body.projects[0].id;
}

export async function roleId(c: TestCloud, adminToken: string, name: string): Promise<string> {
  const r = await c.req('GET', `/identity/v3/roles?name=${encodeURIComponent(name)}`, { token: adminToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.roles.length, 1, `one role named ${name}`);
  return r.body.roles[0].id;
}

/** Creates a resource with POST and returns the created object (asserting 201). */
export async function create(c: TestCloud, token: string, path: string, key: string, obj: Record<string, unknown>): Promise<any> {
  const r = await c.req('POST', `/identity/v3${path}`, { token, body: { [key]: obj } });
  assert.equal(r.status, 201, `POST ${path}: ${r.status} ${r.text}`);
  return r.body[key];
}

/** Runs `fn` over `items` with `n` concurrent workers. */
export async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}
