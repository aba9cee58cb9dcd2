import type { IncomingMessage } from 'node:http';
import type { KubeApi } from '../../api.js';
import type { UserInfo } from '../../types.js';
import type { RequestAuthorizer } from '../auth.js';
import { startAggregation, type AggregationController } from './aggregation.js';
import { forbidden, requestAttributes } from './attributes.js';
import { RbacAuthorizer } from './authorizer.js';
import { guardApi } from './guard.js';
import { impersonate } from './impersonate.js';

export { bootstrapRbac } from './bootstrap.js';
export { RbacAuthorizer } from './authorizer.js';

/**
 * RBAC for one API server: the authorizer (over a watch of the RBAC objects), the ClusterRole
 * aggregation controller, and the request hook the HTTP server calls after authentication
 * (impersonation, then a 403 Forbidden Status for anything the user may not do).
 */
export interface Rbac extends RequestAuthorizer {
  readonly authorizer: RbacAuthorizer;
  stop(): void;
}

/** Starts RBAC over `api` (the registry); resolves once the policy is loaded and aggregated. */
export async function startRbac(api: KubeApi, opts: { log?: (line: string) => void } = {}): Promise<Rbac> {
  const authorizer = new RbacAuthorizer(api, opts.log);
  let aggregation: AggregationController | undefined;
  try {
    await authorizer.start();
    aggregation = startAggregation(api, opts.log);
    await aggregation.synced;
  } catch (e) {
    authorizer.stop();
    aggregation?.stop();
    throw e;
  }
  const decide = authorizer.authorize.bind(authorizer);
  return {
    authorizer,
    authorize(req: IncomingMessage, url: URL, user: UserInfo): UserInfo {
      const effective = impersonate(req, user, decide);
      const attrs = requestAttributes(effective, req.method ?? 'GET', url.pathname, url.searchParams);
      const d = decide(attrs);
      if (!d.allowed) throw forbidden(attrs, d.reason);
      return effective;
    },
    guard: (inner) => guardApi(inner, authorizer),
    stop() {
      aggregation?.stop();
      authorizer.stop();
    },
  };
}
