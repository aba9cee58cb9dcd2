import { badRequest, forbidden, StratusError } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { KIND, type DomainConfig } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import type { Domains } from './projects.js';

type Group = Record<string, unknown>;
type Config = Record<string, Group>;

/**
 * The options Keystone lets a domain override (its whitelist), with the defaults of a stock
 * keystone.conf; `GET /v3/domains/config/default` reports these.
 */
export const CONFIG_DEFAULTS: Readonly<Config> = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost',
    user: null,
    suffix: 'cn=example,cn=com',
    query_scope: 'one',
    page_size: 0,
    alias_dereferencing: 'default',
    debug_level: null,
    chase_referrals: null,
    user_tree_dn: null,
    user_filter: null,
    user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn',
    user_name_attribute: 'sn',
    user_description_attribute: 'description',
    user_mail_attribute: 'mail',
    user_pass_attribute: 'userPassword',
    user_enabled_attribute: 'enabled',
    user_enabled_invert: false,
    user_enabled_mask: 0,
    user_enabled_default: 'True',
    user_attribute_ignore: ['default_project_id'],
    user_default_project_id_attribute: null,
    user_enabled_emulation: false,
    user_enabled_emulation_dn: null,
    user_enabled_emulation_use_group_config: false,
    user_additional_attribute_mapping: [],
    group_tree_dn: null,
    group_filter: null,
    group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn',
    group_name_attribute: 'ou',
    group_member_attribute: 'member',
    group_members_are_ids: false,
    group_desc_attribute: 'description',
    group_attribute_ignore: [],
    group_additional_attribute_mapping: [],
    group_ad_nesting: false,
    tls_cacertfile: null,
    tls_cacertdir: null,
    use_tls: false,
    tls_req_cert: 'demand',
    connection_timeout: -1,
    use_pool: true,
    pool_size: 10,
    pool_retry_max: 3,
    pool_retry_delay: 0.1,
    pool_connection_timeout: -1,
    pool_connection_lifetime: 600,
    use_auth_pool: true,
    auth_pool_size: 100,
    auth_pool_connection_lifetime: 60,
    randomize_urls: false,
  },
};

/** Options a domain may set but that are never read back. */
const SENSITIVE: Readonly<Record<string, readonly string[]>> = { ldap: ['password'] };

/** Keystone's InvalidDomainConfig is a 403. */
const invalid = (reason: string) => forbidden(`Invalid domain specific configuration: ${reason}.`);
const missing = (what: string, domainId: string) =>
  new StratusError('NotFound', `Could not find ${what} in domain configuration for domain ${domainId}.`, 'DomainConfigNotFound');

function isSensitive(group: string, option: string): boolean {
  return SENSITIVE[group]?.includes(option) ?? false;
}

/** Throws unless `group` (and `option`, when given) may be configured per domain. */
export function checkGroupOption(group: string, option?: string): void {
  const allowed = CONFIG_DEFAULTS[group];
  if (!allowed) throw invalid(`group ${group} is not supported for domain specific configurations; use identity or ldap`);
  if (option !== undefined && !(option in allowed) && !isSensitive(group, option))
    throw invalid(`option ${option} in group ${group} is not supported for domain specific configurations`);
}

function checkValue(group: string, option: string, v: unknown): void {
  const ok =
    v === null ||
    ['string', 'number', 'boolean'].includes(typeof v) ||
    (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x)));
  if (!ok) throw badRequest(`Invalid input for field 'config': the value of ${group}.${option} must be a string, number, boolean, null or a list of them.`);
}

/** Validates `{group: {option: value}}` and splits it into readable and sensitive parts. */
export function parseConfig(body: unknown): { config: Config; sensitive: Config } {
  if (!isObject(body)) throw badRequest("Invalid input for field 'config': expected an object of groups.");
  const config: Config = {};
  const sensitive: Config = {};
  if (Object.keys(body).length === 0) throw invalid('the configuration is empty; give at least one group and option');
  for (const [group, opts] of Object.entries(body)) {
    checkGroupOption(group);
    if (!isObject(opts)) throw badRequest(`Invalid input for field 'config': group ${group} must be an object of options.`);
    if (Object.keys(opts).length === 0) throw invalid(`group ${group} has no options`);
    for (const [option, value] of Object.entries(opts)) {
      checkGroupOption(group, option);
      checkValue(group, option, value);
      const into = isSensitive(group, option) ? sensitive : config;
      (into[group] ??= {})[option] = value;
    }
  }
  return { config, sensitive };
}

function merge(into: Config, from: Config): Config {
  const out: Config = structuredClone(into);
  for (const [g, opts] of Object.entries(from)) out[g] = { ...(out[g] ?? {}), ...opts };
  return out;
}

/**
 * Domain-specific configuration (`/v3/domains/{id}/config`): per-domain overrides of the
 * identity and ldap groups. Stratus keeps every domain on its own SQL-backed identity store,
 * so these are recorded and served as Keystone does, for tools that manage them.
 */
export class DomainConfigs {
  readonly repo: Repo<DomainConfig>;

  constructor(
    ctx: IdentityContext,
    private readonly domains: Domains,
  ) {
    this.repo = new Repo<DomainConfig>(ctx, KIND.domainConfig, 'domain config');
  }

  private async current(domainId: string): Promise<DomainConfig> {
    await this.domains.get(domainId);
    const c = await this.repo.get(domainId);
    if (!c) throw missing('the configuration', domainId);
    return c;
  }

  /** The whole readable configuration of a domain. */
  async get(domainId: string): Promise<Config> {
    return (await this.current(domainId)).config;
  }

  async group(domainId: string, group: string): Promise<Group> {
    checkGroupOption(group);
    const g = (await this.current(domainId)).config[group];
    if (!g) throw missing(`group ${group}`, domainId);
    return g;
  }

  async option(domainId: string, group: string, option: string): Promise<unknown> {
    checkGroupOption(group, option);
    const g = (await this.current(domainId)).config[group];
    if (!g || !(option in g)) throw missing(`option ${option} in group ${group}`, domainId);
    return g[option];
  }

  /** PUT: replaces the configuration; `created` tells a 201 from a 200. */
  async replace(domainId: string, body: unknown): Promise<{ config: Config; created: boolean }> {
    await this.domains.get(domainId);
    const parsed = parseConfig(body);
    const cur = await this.repo.get(domainId);
    const next: DomainConfig = { id: domainId, ...parsed };
    if (cur) await this.repo.update(next);
    else await this.repo.create(next);
    return { config: next.config, created: !cur };
  }

  /**
   * PATCH at any level: `group`/`option` from the URL restrict what the body may name. Options
   * are merged into the stored groups; the whole readable configuration is returned.
   */
  async update(domainId: string, body: unknown, group?: string, option?: string): Promise<Config> {
    const cur = await this.current(domainId);
    let wanted: unknown = body;
    if (group !== undefined) {
      checkGroupOption(group, option);
      if (option !== undefined) {
        if (!isObject(body) || Object.keys(body).length !== 1 || !(option in body))
          throw invalid(`the body must set exactly the option ${option} named in the URL`);
        wanted = { [group]: body };
      } else if (!isObject(body) || Object.keys(body).length !== 1 || !(group in body)) {
        throw invalid(`the body must hold exactly the group ${group} named in the URL`);
      }
    }
    const parsed = parseConfig(wanted);
    const next: DomainConfig = {
      id: domainId,
      config: merge(cur.config, parsed.config),
      sensitive: merge(cur.sensitive, parsed.sensitive),
    };
    await this.repo.update(next);
    return next.config;
  }

  /** DELETE at any level; removing the last option of a group removes the group. */
  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    const cur = await this.current(domainId);
    if (group === undefined) {
      await this.repo.delete(domainId);
      return;
    }
    checkGroupOption(group, option);
    const config = structuredClone(cur.config);
    const sensitive = structuredClone(cur.sensitive);
    if (option === undefined) {
      if (!config[group] && !sensitive[group]) throw missing(`group ${group}`, domainId);
      delete config[group];
      delete sensitive[group];
    } else {
      const from = isSensitive(group, option) ? sensitive : config;
      if (!from[group] || !(option in from[group])) throw missing(`option ${option} in group ${group}`, domainId);
      delete from[group][option];
      if (Object.keys(from[group]).length === 0) delete from[group];
    }
    if (Object.keys(config).length === 0 && Object.keys(sensitive).length === 0) await this.repo.delete(domainId);
    else await this.repo.update({ id: domainId, config, sensitive });
  }

  /** Defaults: all groups, one group, or one option. */
  defaults(group?: string, option?: string): Config | Group {
    if (group === undefined) return structuredClone(CONFIG_DEFAULTS) as Config;
    checkGroupOption(group, option);
    if (isSensitive(group, option ?? '')) throw invalid(`option ${option} in group ${group} is sensitive and has no readable default`);
    const g = CONFIG_DEFAULTS[group]!;
    return option === undefined ? { [group]: structuredClone(g) } : { [option]: structuredClone(g[option]) };
  }
}
