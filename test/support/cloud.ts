import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type StratusConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/log.js';
import type { Clock } from '../../src/core/clock.js';
import { startCloud, type Cloud } from '../../src/main.js';
import { cleanEnv } from './proc.js';

export interface TestCloud {
  cloud: Cloud;
  url: string;
  authUrl: string;
  dataDir: string;
  /** Password-auth token for a user (default project: same name, admin → admin). */
  token(user?: string, project?: string): Promise<string>;
  /** JSON request with an optional token; returns status, headers and parsed body. */
  req(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Res>;
  close(): Promise<void>;
}

export interface Res {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/**
 * Starts a whole cloud in-process on 127.0.0.1:0, as `stratus up` would, with an in-memory
 * store (or a temporary SQLite data dir with `{ sqlite: true }`). Always `close()` it in an
 * `after` hook; the data dir is removed then.
 */
export async function startTestCloud(opts: { sqlite?: boolean; dataDir?: string; config?: Partial<StratusConfig>; clock?: Clock } = {}): Promise<TestCloud> {
  const ownDir = opts.sqlite && !opts.dataDir ? mkdtempSync(join(tmpdir(), 'stratus-test-')) : undefined;
  const dataDir = opts.dataDir ?? ownDir ?? ':memory:';
  const config = defaultConfig({ port: 0, dataDir, adminPassword: 'secret', adminPasswordExplicit: false, ...opts.config });
  const cloud = await startCloud(config, { log: silentLogger, ...(opts.clock ? { clock: opts.clock } : {}) });
  const url = cloud.url;
  const tokens = new Map<string, string>();
  const req: TestCloud['req'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers['x-auth-token'] = o.token;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    cloud,
    url,
    authUrl: `${url}/identity`,
    dataDir,
    req,
    async token(user = 'admin', project) {
      const p = project ?? (['admin', 'demo', 'alt_demo'].includes(user) ? user : user.startsWith('alt_demo') ? 'alt_demo' : 'demo');
      const key = `${user}/${p}`;
      const cached = tokens.get(key);
      if (cached) return cached;
      const r = await req('POST', '/identity/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password: 'secret' } } },
            scope: { project: { name: p, domain: { id: 'default' } } },
          },
        },
      });
      if (r.status !== 201) throw new Error(`token for ${key}: ${r.status} ${r.text}`);
      const t = r.headers.get('x-subject-token')!;
      tokens.set(key, t);
      return t;
    },
    async close() {
      await cloud.close();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

/** Waits for a condition instead of sleeping a fixed time. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * The `swift`/`openstack` CLI environment of a user (password `secret`, project of the same
 * name) against a test cloud, and that project's object-store URL from the catalog.
 */
export async function swiftCliEnv(tc: TestCloud, user = 'demo'): Promise<{ env: NodeJS.ProcessEnv; storage: string }> {
  const env = cleanEnv({
    OS_AUTH_URL: `${tc.authUrl}/v3`,
    OS_USERNAME: user,
    OS_PASSWORD: 'secret',
    OS_PROJECT_NAME: user,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_AUTH_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  });
  const cat = await tc.req('GET', '/identity/v3/auth/catalog', { token: await tc.token(user) });
  const storage = cat.body.catalog.find((s: { type: string }) => s.type === 'object-store').endpoints.find((e: { interface: string }) => e.interface === 'public').url as string;
  return { env, storage };
}
