import { isoMicro } from '../../../core/clock.js';
import type { CatalogService } from '../logic/catalog.js';
import type { ValidToken } from '../logic/tokens.js';

export function catalogView(cat: CatalogService[]) {
  return cat.map((s) => ({
    id: s.id,
    type: s.type,
    name: s.name,
    endpoints: s.endpoints.map((e) => ({ id: e.id, interface: e.interface, region_id: e.regionId, region: e.regionId, url: e.url })),
  }));
}

/** The `{"token": …}` body of token issue and validation. */
export function tokenView(v: ValidToken, catalog: CatalogService[] | null) {
  const t: Record<string, unknown> = {
    methods: v.payload.methods,
    user: {
      id: v.user.id,
      name: v.user.name,
      domain: { id: v.userDomain.id, name: v.userDomain.name },
      password_expires_at: v.user.passwordExpiresAt,
    },
    audit_ids: v.payload.auditIds,
    expires_at: isoMicro(v.payload.expiresAt),
    issued_at: isoMicro(v.payload.issuedAt),
  };
  if (v.project) {
    t.project = { id: v.project.id, name: v.project.name, domain: { id: v.projectDomain!.id, name: v.projectDomain!.name } };
    t.is_domain = false;
  } else if (v.domain) {
    t.domain = { id: v.domain.id, name: v.domain.name };
  } else if (v.system) {
    t.system = { all: true };
  }
  if (v.project || v.domain || v.system) {
    t.roles = v.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) t.catalog = catalogView(catalog);
  }
  if (v.appCred) {
    t.application_credential = { id: v.appCred.id, name: v.appCred.name, restricted: !v.appCred.unrestricted };
  }
  if (v.oauthAccessToken) {
    t['OS-OAUTH1'] = { access_token_id: v.oauthAccessToken.id, consumer_id: v.oauthAccessToken.consumerId };
  }
  return { token: t };
}
