import assert from 'node:assert/strict';
import type { Res, TestCloud } from '../support/cloud.js';

/** Shared helpers for the networking API tests. */

export const N = '/networking/v2.0';

/** Asserts Neutron's error shape, the status and (optionally) the error type. */
export function assertNeutronError(res: Res, status: number, type?: string): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text.slice(0, 400)}`);
  const e = res.body?.NeutronError;
  assert.ok(e && typeof e === 'object', `NeutronError body: ${res.text.slice(0, 300)}`);
  assert.deepEqual(Object.keys(e).sort(), ['detail', 'message', 'type']);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  if (type) assert.equal(e.type, type, `error type: ${e.message}`);
}

/** A caller of the networking API with one token. */
export class Net {
  constructor(
    readonly c: TestCloud,
    readonly token: string,
  ) {}

  static async as(c: TestCloud, user = 'admin', project?: string): Promise<Net> {
    return new Net(c, await c.token(user, project));
  }

  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Res> {
    return this.c.req(method, `${N}${path}`, { token: this.token, body, headers });
  }
  get = (path: string) => this.req('GET', path);
  del = (path: string, headers?: Record<string, string>) => this.req('DELETE', path, undefined, headers);
  post = (path: string, body: unknown) => this.req('POST', path, body);
  put = (path: string, body: unknown, headers?: Record<string, string>) => this.req('PUT', path, body, headers);

  /** POST /<collection> `{<member>: body}`; asserts 201 and returns the resource. */
  async create(collection: string, member: string, body: Record<string, unknown>): Promise<any> {
    const r = await this.post(`/${collection}`, { [member]: body });
    assert.equal(r.status, 201, `create ${member}: ${r.status} ${r.text.slice(0, 400)}`);
    return r.body[member];
  }

  async show(collection: string, member: string, id: string): Promise<any> {
    const r = await this.get(`/${collection}/${id}`);
    assert.equal(r.status, 200, `show ${member} ${id}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body[member];
  }

  async list(collection: string, query = ''): Promise<any[]> {
    const r = await this.get(`/${collection}${query ? `?${query}` : ''}`);
    assert.equal(r.status, 200, `list ${collection}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body[collection.replace(/-/g, '_')];
  }

  async update(collection: string, member: string, id: string, body: Record<string, unknown>): Promise<any> {
    const r = await this.put(`/${collection}/${id}`, { [member]: body });
    assert.equal(r.status, 200, `update ${member}: ${r.status} ${r.text.slice(0, 400)}`);
    return r.body[member];
  }

  async remove(collection: string, id: string): Promise<void> {
    const r = await this.del(`/${collection}/${id}`);
    assert.equal(r.status, 204, `delete ${collection}/${id}: ${r.status} ${r.text.slice(0, 300)}`);
  }

  /** A network with one subnet; returns both. */
  async netWithSubnet(name: string, cidr: string, extra: Record<string, unknown> = {}): Promise<{ net: any; sub: any }> {
    const net = await this.create('networks', 'network', { name });
    const sub = await this.create('subnets', 'subnet', { network_id: net.id, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...extra });
    return { net, sub };
  }
}

/** The project a token is scoped to. */
export async function projectOf(c: TestCloud, token: string): Promise<string> {
  const admin = await c.token('admin');
  const r = await c.req('GET', '/identity/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': token } });
  assert.equal(r.status, 200);
  return r.body.token.project.id;
}

/** Waits until `check` passes (driver status is written after the API answers). */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}
