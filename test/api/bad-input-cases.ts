/**
 * The generated bad requests for bad-input.test.ts: every identity route crossed with every
 * kind of badness. Each case names the statuses it may get; none may be a 5xx.
 */

export interface BadCase {
  name: string;
  method: string;
  path: string;
  /** undefined: the admin token; null: no token; a string: that token. */
  token?: string | null;
  /** Sent as bytes, with `contentType` (default application/json) unless contentType is null. */
  body?: string | Buffer;
  contentType?: string | null;
  expect: number[];
}

type FieldType = 'str' | 'strN' | 'bool' | 'list' | 'objList' | 'date';
interface Field {
  type: FieldType;
  max?: number;
  /** Required, or min length 1: an empty string is refused. */
  nonEmpty?: boolean;
}

export interface BodyRoute {
  method: string;
  path: string;
  /** Wrapper key of the body (`{"project": {...}}`); null when the fields are top-level. */
  key: string | null;
  /** A body that would be accepted; each case breaks one thing in it. */
  base: () => Record<string, unknown>;
  fields: Record<string, Field>;
  public?: boolean;
  /** Status for a valid body with a bad field when the field check is not the first to fail. */
  fieldStatus?: number[];
}

export interface Fixtures {
  adminId: string;
  adminProject: string;
  project: string;
  user: string;
  group: string;
  role: string;
  region: string;
  service: string;
  endpoint: string;
  credential: string;
  domain: string;
  appCred: string;
}

const BAD_BY_TYPE: Record<FieldType, unknown[]> = {
  str: [123, 1.5, true, false, [], ['a'], {}, { a: 'b' }],
  strN: [123, 1.5, true, [], ['a'], {}, { a: 'b' }],
  bool: ['true', 'false', 1, 0, 'yes', [], {}, null],
  list: ['a', 1, true, {}, [1], [null], [['a']], [{}], null],
  objList: ['x', 1, true, {}, ['a'], [1], [null], null],
  date: [123, true, [], {}, 'not-a-date', '2001-01-01T00:00:00', '2001-01-01T00:00:00Z'],
};

let seq = 0;
const fresh = (p: string) => `${p}-${(++seq).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

export function bodyRoutes(f: Fixtures): BodyRoute[] {
  return [
    { method: 'POST', path: '/domains', key: 'domain', base: () => ({ name: fresh('dom') }), fields: { name: { type: 'str', max: 64, nonEmpty: true }, description: { type: 'str', max: 255 }, enabled: { type: 'bool' }, tags: { type: 'list' } } },
    { method: 'PATCH', path: `/domains/${f.domain}`, key: 'domain', base: () => ({}), fields: { name: { type: 'str', max: 64, nonEmpty: true }, description: { type: 'strN', max: 255 }, enabled: { type: 'bool' }, tags: { type: 'list' } } },
    { method: 'POST', path: '/projects', key: 'project', base: () => ({ name: fresh('proj') }), fields: { name: { type: 'str', max: 64, nonEmpty: true }, description: { type: 'strN' }, enabled: { type: 'bool' }, tags: { type: 'list' }, domain_id: { type: 'strN' }, parent_id: { type: 'strN' }, is_domain: { type: 'bool' } } },
    { method: 'PATCH', path: `/projects/${f.project}`, key: 'project', base: () => ({}), fields: { name: { type: 'str', max: 64, nonEmpty: true }, description: { type: 'strN' }, enabled: { type: 'bool' }, tags: { type: 'list' } } },
    { method: 'PUT', path: `/projects/${f.project}/tags`, key: null, base: () => ({ tags: ['ok'] }), fields: { tags: { type: 'list' } } },
    { method: 'POST', path: '/users', key: 'user', base: () => ({ name: fresh('user') }), fields: { name: { type: 'str', max: 255, nonEmpty: true }, domain_id: { type: 'strN' }, password: { type: 'strN', max: 4096 }, enabled: { type: 'bool' }, default_project_id: { type: 'strN' }, description: { type: 'strN' }, email: { type: 'strN', max: 255 } } },
    { method: 'PATCH', path: `/users/${f.user}`, key: 'user', base: () => ({}), fields: { name: { type: 'str', max: 255, nonEmpty: true }, password: { type: 'strN', max: 4096 }, enabled: { type: 'bool' }, default_project_id: { type: 'strN' }, description: { type: 'strN' }, email: { type: 'strN', max: 255 } } },
    { method: 'POST', path: `/users/${f.user}/password`, key: 'user', public: true, base: () => ({ original_password: 'not-the-password', password: 'new' }), fields: { original_password: { type: 'str', max: 4096, nonEmpty: true }, password: { type: 'str', max: 4096, nonEmpty: true } } },
    { method: 'POST', path: '/groups', key: 'group', base: () => ({ name: fresh('grp') }), fields: { name: { type: 'str', max: 64, nonEmpty: true }, domain_id: { type: 'strN' }, description: { type: 'strN' } } },
    { method: 'PATCH', path: `/groups/${f.group}`, key: 'group', base: () => ({}), fields: { name: { type: 'str', max: 64, nonEmpty: true }, description: { type: 'strN' } } },
    { method: 'POST', path: '/roles', key: 'role', base: () => ({ name: fresh('role') }), fields: { name: { type: 'str', max: 255, nonEmpty: true }, domain_id: { type: 'strN' }, description: { type: 'strN', max: 255 } } },
    { method: 'PATCH', path: `/roles/${f.role}`, key: 'role', base: () => ({}), fields: { name: { type: 'str', max: 255, nonEmpty: true }, description: { type: 'strN', max: 255 } } },
    { method: 'POST', path: '/regions', key: 'region', base: () => ({ id: fresh('Reg') }), fields: { id: { type: 'str', max: 255 }, description: { type: 'strN', max: 255 }, parent_region_id: { type: 'strN' } } },
    { method: 'PUT', path: `/regions/${fresh('PutReg')}`, key: 'region', base: () => ({}), fields: { description: { type: 'strN', max: 255 }, parent_region_id: { type: 'strN' } } },
    { method: 'PATCH', path: `/regions/${f.region}`, key: 'region', base: () => ({}), fields: { description: { type: 'strN', max: 255 }, parent_region_id: { type: 'strN' } } },
    { method: 'POST', path: '/services', key: 'service', base: () => ({ type: fresh('svc') }), fields: { type: { type: 'str', max: 255, nonEmpty: true }, name: { type: 'strN', max: 255 }, description: { type: 'strN' }, enabled: { type: 'bool' } } },
    { method: 'PATCH', path: `/services/${f.service}`, key: 'service', base: () => ({}), fields: { type: { type: 'str', max: 255, nonEmpty: true }, name: { type: 'strN', max: 255 }, description: { type: 'strN' }, enabled: { type: 'bool' } } },
    { method: 'POST', path: '/endpoints', key: 'endpoint', base: () => ({ service_id: f.service, interface: 'public', url: 'http://ok.example/' }), fields: { service_id: { type: 'str', nonEmpty: true }, interface: { type: 'str', nonEmpty: true }, url: { type: 'str', max: 225, nonEmpty: true }, region_id: { type: 'strN' }, enabled: { type: 'bool' } } },
    { method: 'PATCH', path: `/endpoints/${f.endpoint}`, key: 'endpoint', base: () => ({}), fields: { service_id: { type: 'str', nonEmpty: true }, interface: { type: 'str' }, url: { type: 'str', max: 225 }, region_id: { type: 'strN' }, enabled: { type: 'bool' } } },
    { method: 'POST', path: '/credentials', key: 'credential', base: () => ({ user_id: f.adminId, type: 'note', blob: 'b' }), fields: { user_id: { type: 'str', nonEmpty: true }, project_id: { type: 'strN' }, type: { type: 'str', max: 255, nonEmpty: true }, blob: { type: 'str', nonEmpty: true } } },
    { method: 'PATCH', path: `/credentials/${f.credential}`, key: 'credential', base: () => ({}), fields: { blob: { type: 'str', nonEmpty: true }, type: { type: 'str', max: 255, nonEmpty: true }, project_id: { type: 'strN' }, user_id: { type: 'str', nonEmpty: true } } },
    { method: 'POST', path: `/users/${f.adminId}/credentials/OS-EC2`, key: null, base: () => ({ tenant_id: f.adminProject }), fields: { tenant_id: { type: 'str', nonEmpty: true } } },
    { method: 'POST', path: `/users/${f.adminId}/application_credentials`, key: 'application_credential', base: () => ({ name: fresh('ac') }), fields: { name: { type: 'str', max: 255, nonEmpty: true }, description: { type: 'strN' }, expires_at: { type: 'date' }, unrestricted: { type: 'bool' }, secret: { type: 'strN' }, roles: { type: 'objList' } } },
  ];
}

const MALFORMED = ['{', '{"a":', '{"a" 1}', "{'a': 1}", '[1,', 'nul', 'tru', '{"a":1}}', '{"a":1} trailing', '\u0000', '{"a":"\\x"}', '{"a":01}', 'NaN', '{"a":undefined}'];
const WRONG_JSON = ['[]', '[{}]', '"string"', '42', 'null', 'true', '{}'];
const CONTENT_TYPES = ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png', 'garbage'];

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

function wrap(r: BodyRoute, inner: unknown): unknown {
  return r.key ? { [r.key]: inner } : inner;
}

/** Every kind of bad body for every body route. */
export function bodyCases(f: Fixtures): BadCase[] {
  const out: BadCase[] = [];
  const v3 = (p: string) => `/identity/v3${p}`;
  for (const r of bodyRoutes(f)) {
    const at = `${r.method} ${r.path}`;
    const add = (name: string, body: string | Buffer, expect: number[], contentType?: string | null) =>
      out.push({ name: `${at}: ${name}`, method: r.method, path: v3(r.path), body, expect, ...(contentType !== undefined ? { contentType } : {}) });
    for (const m of MALFORMED) add(`malformed ${JSON.stringify(m)}`, m, [400]);
    for (const w of WRONG_JSON) add(`wrong JSON ${w}`, w, [400]);
    if (r.key) {
      add('missing wrapper key', JSON.stringify({ [`${r.key}s`]: r.base() }), [400]);
      add('wrapper key in another case', JSON.stringify({ [r.key.toUpperCase()]: r.base() }), [400]);
      for (const bad of [[], 'x', 1, true, null, [r.base()]]) add(`wrapper is ${JSON.stringify(bad)}`, JSON.stringify({ [r.key]: bad }), [400]);
    }
    for (const [field, spec] of Object.entries(r.fields)) {
      for (const bad of BAD_BY_TYPE[spec.type]) {
        add(`${field} = ${JSON.stringify(bad)}`, JSON.stringify(wrap(r, { ...r.base(), [field]: bad })), r.fieldStatus ?? [400]);
      }
      if (spec.type === 'str') {
        add(`${field} = null`, JSON.stringify(wrap(r, { ...r.base(), [field]: null })), [400]);
      }
      if (spec.max !== undefined) {
        add(`${field} one over max ${spec.max}`, JSON.stringify(wrap(r, { ...r.base(), [field]: 'x'.repeat(spec.max + 1) })), [400]);
        add(`${field} far over max`, JSON.stringify(wrap(r, { ...r.base(), [field]: '\u00e9'.repeat(spec.max * 4) })), [400]);
        add(`${field} max in emoji`, JSON.stringify(wrap(r, { ...r.base(), [field]: '\u{1F600}'.repeat(spec.max + 1) })), [400]);
      }
      if (spec.nonEmpty) add(`${field} = ""`, JSON.stringify(wrap(r, { ...r.base(), [field]: '' })), [400]);
    }
    // Deep nesting parses, but overflows the stack wherever it is walked later.
    const deepIn = (field: string, n: number) => JSON.stringify(wrap(r, { ...r.base(), [field]: '@DEEP@' })).replace('"@DEEP@"', deep(n));
    add('body nested 50000 deep', deep(50_000), [400]);
    add('field nested 40000 deep', deepIn(Object.keys(r.fields)[0]!, 40_000), [400]);
    add('unknown field nested 40000 deep', deepIn('x_extra', 40_000), [400]);
    add('field nested 101 deep', deepIn(Object.keys(r.fields)[0]!, 101), [400]);
    // Oversize: over Keystone's 114688-byte limit, whatever the content.
    add('oversize body (valid JSON)', JSON.stringify(wrap(r, { ...r.base(), description: 'x'.repeat(120_000) })), [413]);
    add('oversize body (garbage)', Buffer.alloc(200_000, 0x61), [413]);
    add('oversize body (no content type)', Buffer.alloc(114_689, 0x20), [413, 415], null);
    for (const ct of CONTENT_TYPES) add(`content-type ${ct}`, JSON.stringify(wrap(r, r.base())), [415], ct);
    add('no content-type', Buffer.from(JSON.stringify(wrap(r, r.base()))), [415], null);
    add('text/plain', JSON.stringify(wrap(r, r.base())), [400, 415], 'text/plain');
  }
  return out;
}

/** Every malformed way to ask for a token. */
export function authCases(token: string): BadCase[] {
  const path = '/identity/v3/auth/tokens';
  const pw = (user: unknown) => ({ methods: ['password'], password: { user } });
  // Scope failures use the token method: a password check costs a scrypt each.
  const tk = { methods: ['token'], token: { id: token } };
  const user = { name: 'admin', domain: { id: 'default' }, password: 'secret' };
  const bodies: [string, unknown, number[]][] = [
    ['no auth', {}, [400]],
    ['auth is a list', { auth: [] }, [400]],
    ['auth is a string', { auth: 'x' }, [400]],
    ['no identity', { auth: {} }, [400]],
    ['identity is null', { auth: { identity: null } }, [400]],
    ['identity is a list', { auth: { identity: [] } }, [400]],
    ['no methods', { auth: { identity: { password: { user } } } }, [400]],
    ['methods empty', { auth: { identity: { methods: [], password: { user } } } }, [400]],
    ['methods a string', { auth: { identity: { methods: 'password', password: { user } } } }, [400]],
    ['methods with a number', { auth: { identity: { methods: [1] } } }, [400]],
    ['methods with null', { auth: { identity: { methods: [null] } } }, [400]],
    ['password without password block', { auth: { identity: { methods: ['password'] } } }, [400]],
    ['password block a string', { auth: { identity: { methods: ['password'], password: 'x' } } }, [400]],
    ['password without user', { auth: { identity: { methods: ['password'], password: {} } } }, [400]],
    ['user is a list', { auth: { identity: pw([]) } }, [400]],
    ['user without id or name', { auth: { identity: pw({ password: 'secret' }) } }, [400]],
    ['user id a number', { auth: { identity: pw({ id: 5, password: 'secret' }) } }, [400]],
    ['user name a list', { auth: { identity: pw({ name: ['admin'], domain: { id: 'default' }, password: 'secret' }) } }, [400]],
    ['user name without domain', { auth: { identity: pw({ name: 'admin', password: 'secret' }) } }, [400]],
    ['user domain a string', { auth: { identity: pw({ name: 'admin', domain: 'default', password: 'secret' }) } }, [400]],
    ['user domain empty', { auth: { identity: pw({ name: 'admin', domain: {}, password: 'secret' }) } }, [400]],
    ['password missing', { auth: { identity: pw({ name: 'admin', domain: { id: 'default' } }) } }, [400]],
    ['password a number', { auth: { identity: pw({ ...user, password: 123 }) } }, [400]],
    ['password null', { auth: { identity: pw({ ...user, password: null }) } }, [400]],
    ['token without token block', { auth: { identity: { methods: ['token'] } } }, [400]],
    ['token id a number', { auth: { identity: { methods: ['token'], token: { id: 1 } } } }, [400]],
    ['token id garbage', { auth: { identity: { methods: ['token'], token: { id: 'garbage' } } } }, [401]],
    ['token id empty', { auth: { identity: { methods: ['token'], token: { id: '' } } } }, [400, 401]],
    ['app cred without block', { auth: { identity: { methods: ['application_credential'] } } }, [400]],
    ['app cred without secret', { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'x' } } } }, [400]],
    ['app cred without id or name', { auth: { identity: { methods: ['application_credential'], application_credential: { secret: 'x' } } } }, [400]],
    ['app cred name without user', { auth: { identity: { methods: ['application_credential'], application_credential: { name: 'x', secret: 'x' } } } }, [400]],
    ['app cred id a number', { auth: { identity: { methods: ['application_credential'], application_credential: { id: 7, secret: 'x' } } } }, [400]],
    ['app cred unknown id', { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ffffffffffffffffffffffffffffffff', secret: 'x' } } } }, [401]],
    ['scope a number', { auth: { identity: pw(user), scope: 5 } }, [400]],
    ['scope a list', { auth: { identity: pw(user), scope: [] } }, [400]],
    ['scope empty', { auth: { identity: pw(user), scope: {} } }, [400]],
    ['scope project a string', { auth: { identity: pw(user), scope: { project: 'admin' } } }, [400]],
    ['scope project empty', { auth: { identity: pw(user), scope: { project: {} } } }, [400]],
    ['scope project name without domain', { auth: { identity: tk, scope: { project: { name: 'admin' } } } }, [400]],
    ['scope project id a number', { auth: { identity: pw(user), scope: { project: { id: 1 } } } }, [400]],
    ['scope domain empty', { auth: { identity: pw(user), scope: { domain: {} } } }, [400]],
    ['scope system false', { auth: { identity: pw(user), scope: { system: { all: false } } } }, [400]],
    ['scope system a string', { auth: { identity: pw(user), scope: { system: 'all' } } }, [400]],
    ['scope trust', { auth: { identity: pw(user), scope: { 'OS-TRUST:trust': { id: 'x' } } } }, [400]],
    ['unknown user id', { auth: { identity: pw({ id: 'ffffffffffffffffffffffffffffffff', password: 'x' }) } }, [401]],
    ['unknown domain name', { auth: { identity: pw({ name: 'admin', domain: { name: 'Nope' }, password: 'x' }) } }, [401]],
    ['wrong password', { auth: { identity: pw({ ...user, password: 'wrong' }) } }, [401]],
    ['empty password', { auth: { identity: pw({ ...user, password: '' }) } }, [401]],
    ['unknown project id', { auth: { identity: tk, scope: { project: { id: 'ffffffffffffffffffffffffffffffff' } } } }, [401]],
    ['project name as id', { auth: { identity: tk, scope: { project: { id: 'admin' } } } }, [401]],
    ['unknown project name', { auth: { identity: tk, scope: { project: { name: 'nope', domain: { id: 'default' } } } } }, [401]],
    ['project in an unknown domain', { auth: { identity: tk, scope: { project: { name: 'admin', domain: { name: 'Nope' } } } } }, [401]],
    ['domain name as id', { auth: { identity: tk, scope: { domain: { id: 'Default' } } } }, [401]],
    ['unknown domain name scope', { auth: { identity: tk, scope: { domain: { name: 'Nope' } } } }, [401]],
    ['user name as id', { auth: { identity: pw({ id: 'admin', password: 'secret' }) } }, [401]],
  ];
  const deepAuth = (where: string) =>
    JSON.stringify({ auth: { identity: pw({ ...user, [where]: '@DEEP@' }) } }).replace('"@DEEP@"', deep(40_000));
  const raw: [string, string][] = [['deep user id', deepAuth('id')], ['deep password', deepAuth('password')], ['deep body', deep(50_000)]];
  for (const m of ['totp', 'saml2', 'oauth1', 'kerberos', 'mapped', 'external', 'PASSWORD', 'x'.repeat(300)]) {
    bodies.push([`unsupported method ${m.slice(0, 20)}`, { auth: { identity: { methods: [m] } } }, [401]]);
    bodies.push([`password plus ${m.slice(0, 20)}`, { auth: { identity: { methods: ['password', m], password: { user } } } }, [401]]);
  }
  return [
    ...bodies.map(([name, body, expect]) => ({ name: `POST /auth/tokens: ${name}`, method: 'POST', path, token: null, body: JSON.stringify(body), expect })),
    ...raw.map(([name, body]) => ({ name: `POST /auth/tokens: ${name}`, method: 'POST', path, token: null, body, expect: [400] })),
  ];
}
