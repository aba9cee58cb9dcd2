import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../core/errors.js';

/** Who is calling, as established from a validated token. Field names are domain-side. */
export interface AuthContext {
  token: string;
  userId: string;
  userName: string;
  userDomainId: string;
  methods: string[];
  auditId: string;
  expiresAt: number;
  /** Set when the token is project-scoped. */
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  /** Set when the token is domain-scoped. */
  domainId?: string;
  /** Set when the token is system-scoped (`{"system": {"all": true}}`). */
  system?: boolean;
  /** Effective role names, implied roles included (admin ⊃ member ⊃ reader). */
  roles: string[];
  roleIds: string[];
  /** Application credential the token came from, if any. */
  appCredId?: string;
}

/**
 * Validates tokens for the gateway. The identity service implements it; `main.ts` wires it in,
 * so `http/` never imports a service. `verify` rejects with an Unauthorized StratusError.
 */
export interface TokenVerifier {
  verify(token: string): Promise<AuthContext>;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** Route needs no token (discovery, token issue). */
    public?: boolean;
  }
}

/**
 * Builds an `onRequest` hook that requires `X-Auth-Token` on every route of the plugin it is
 * added to, unless the route's config says `public: true`.
 */
export function authHook(verifier: TokenVerifier) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = req.headers['x-auth-token'];
    const value = Array.isArray(token) ? token[0] : token;
    if (req.routeOptions.config?.public) {
      req.auth = value ? await verifier.verify(value).catch(() => null) : null;
      return;
    }
    if (!value) throw unauthorized();
    req.auth = await verifier.verify(value);
  };
}

export function requireAuth(req: FastifyRequest): AuthContext {
  if (!req.auth) throw unauthorized();
  return req.auth;
}
