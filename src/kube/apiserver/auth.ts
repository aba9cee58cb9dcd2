import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { KubeApi } from '../api.js';
import { findResource } from '../resources.js';
import type { UserInfo } from '../types.js';
import type { ServiceAccountTokens } from './sa-tokens.js';

/**
 * Authentication of API requests (authorization is RBAC, `RequestAuthorizer` below). Sources,
 * in order:
 * 1. a client certificate signed by the cluster CA: CN = user name, O = groups;
 * 2. `Authorization: Bearer <token>`: the cluster admin token, a node token
 *    (`system:node:<name>`), a bound service-account token (a JWT from TokenRequest, checked by
 *    `sa-tokens.ts`), or the token of a Secret of type `kubernetes.io/service-account-token`
 *    (`system:serviceaccount:<ns>:<name>`).
 * `authenticate` resolves undefined for an anonymous or unknown caller (the server answers 401).
 */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined>;
}

/**
 * Authorization of authenticated requests (RBAC: `./rbac/index.ts`). `authorize` applies
 * impersonation headers and checks the request's verb, resource and namespace; it returns the
 * user the request then runs as, or throws KubeError 403 Forbidden (400 for malformed
 * impersonation headers). `guard` wraps the API the handlers use (the review APIs, and
 * escalation checks on RBAC writes).
 */
export interface RequestAuthorizer {
  authorize(req: IncomingMessage, url: URL, user: UserInfo): UserInfo;
  guard(api: KubeApi): KubeApi;
}

/** The static tokens of a cluster, kept in `<dataDir>/tokens.json` (mode 0600). */
export interface ClusterTokens {
  admin: string;
  /** Node name → token. */
  nodes: Record<string, string>;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Loads the cluster's tokens, adding an admin token and one per wanted node when missing. */
export function loadOrCreateTokens(dataDir: string, nodeNames: string[]): ClusterTokens {
  const file = join(dataDir, 'tokens.json');
  let tokens: ClusterTokens = { admin: '', nodes: {} };
  if (existsSync(file)) {
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClusterTokens>;
      tokens = { admin: typeof raw.admin === 'string' ? raw.admin : '', nodes: raw.nodes && typeof raw.nodes === 'object' ? raw.nodes : {} };
    } catch {
      // unreadable: start over with fresh tokens (kubeconfigs use certificates, not these)
    }
  }
  let changed = false;
  if (!tokens.admin) {
    tokens.admin = newToken();
    changed = true;
  }
  for (const n of nodeNames) {
    if (!tokens.nodes[n]) {
      tokens.nodes[n] = newToken();
      changed = true;
    }
  }
  if (changed || !existsSync(file)) writeFileSync(file, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
  return tokens;
}

const ADMIN: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
/** How long a service-account token lookup result is trusted. */
const SA_CACHE_MS = 5_000;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function createAuthenticator(opts: { tokens: ClusterTokens; api: KubeApi; serviceAccountTokens?: ServiceAccountTokens }): Authenticator {
  const secrets = findResource('', 'v1', 'secrets')!;
  // token → user (or null for "not a service-account token"), with the time it was looked up
  const saCache = new Map<string, { user: UserInfo | null; at: number }>();

  async function serviceAccount(token: string): Promise<UserInfo | undefined> {
    const hit = saCache.get(token);
    if (hit && Date.now() - hit.at < SA_CACHE_MS) return hit.user ?? undefined;
    let user: UserInfo | null = null;
    try {
      const list = await opts.api.list(secrets, undefined, { fieldSelector: `type=${SA_TOKEN_TYPE}` });
      for (const s of list.items) {
        const data = s.data as Record<string, string> | undefined;
        const stored = data?.token ? Buffer.from(data.token, 'base64').toString('utf8') : '';
        if (stored && sameToken(stored, token)) {
          const ns = s.metadata.namespace ?? 'default';
          const sa = s.metadata.annotations?.['kubernetes.io/service-account.name'] ?? s.metadata.name ?? '';
          user = { username: `system:serviceaccount:${ns}:${sa}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
          break;
        }
      }
    } catch {
      user = null;
    }
    if (saCache.size > 10_000) saCache.clear();
    saCache.set(token, { user, at: Date.now() });
    return user ?? undefined;
  }

  return {
    async authenticate(req) {
      const socket = req.socket as TLSSocket;
      if (socket.authorized && typeof socket.getPeerCertificate === 'function') {
        const peer = socket.getPeerCertificate();
        const cn = peer?.subject?.CN;
        if (cn) {
          const groups = asList(peer.subject.O as string | string[] | undefined);
          return { username: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'] };
        }
      }
      const header = req.headers.authorization;
      if (!header) return undefined;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return undefined;
      const token = m[1]!;
      if (sameToken(token, opts.tokens.admin)) return ADMIN;
      for (const [node, t] of Object.entries(opts.tokens.nodes)) {
        if (sameToken(token, t)) return { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] };
      }
      if (opts.serviceAccountTokens) {
        const bound = await opts.serviceAccountTokens.authenticate(token);
        if (bound) return bound;
      }
      return serviceAccount(token);
    },
  };
}
