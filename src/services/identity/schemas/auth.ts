import { badRequest, unauthorized } from '../../../core/errors.js';
import { isObject, type Json } from '../../../core/validate.js';
import type { AuthRequest, NameOrId, Scope } from '../logic/tokens.js';

const METHODS = new Set(['password', 'token', 'application_credential', 'oauth1']);

function optStr(o: Json, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`Invalid input for field '${where}/${k}': ${JSON.stringify(v)} is not of type string.`);
  return v;
}

function ref(v: unknown, where: string): { id?: string; name?: string } {
  if (!isObject(v)) throw badRequest(`Invalid input for field '${where}': expected an object.`);
  const out: { id?: string; name?: string } = {};
  const id = optStr(v, 'id', where);
  const name = optStr(v, 'name', where);
  if (id !== undefined) out.id = id;
  if (name !== undefined) out.name = name;
  if (!out.id && !out.name) throw badRequest(`Invalid input for field '${where}': needs an id or a name.`);
  return out;
}

function nameOrId(v: unknown, where: string): NameOrId {
  const r: NameOrId = ref(v, where);
  const d = (v as Json).domain;
  if (d !== undefined) r.domain = ref(d, `${where}/domain`);
  return r;
}

function scopeOf(v: unknown): Scope {
  if (v === undefined || v === null) return undefined;
  if (v === 'unscoped') return { unscoped: true };
  if (!isObject(v)) throw badRequest("Invalid input for field 'scope': expected an object.");
  if (v.project !== undefined) return { project: nameOrId(v.project, 'scope/project') };
  if (v.domain !== undefined) return { domain: ref(v.domain, 'scope/domain') };
  if (v.system !== undefined) {
    if (!isObject(v.system) || v.system.all !== true) throw badRequest("Invalid input for field 'scope/system': only {\"all\": true} is supported.");
    return { system: true };
  }
  if (v['OS-TRUST:trust'] !== undefined) throw badRequest('Trust-scoped tokens are not supported.');
  throw badRequest("Invalid input for field 'scope': expected project, domain or system.");
}

/** Parses `{"auth": {"identity": {...}, "scope": ...}}` into an AuthRequest. */
export function parseAuth(body: unknown): AuthRequest {
  if (!isObject(body) || !isObject(body.auth)) throw badRequest("Expecting to find auth in request body.");
  const auth = body.auth;
  if (!isObject(auth.identity)) throw badRequest("Expecting to find identity in auth.");
  const identity = auth.identity;
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => typeof m !== 'string'))
    throw badRequest("Invalid input for field 'identity/methods': expected a non-empty list of strings.");
  for (const m of methods as string[]) {
    // Keystone answers an unknown method with 401: the caller cannot authenticate that way.
    if (!METHODS.has(m)) throw unauthorized(`Attempted to authenticate with an unsupported method: ${m}.`);
  }
  const req: AuthRequest = { methods: methods as string[], scope: scopeOf(auth.scope) };
  if (methods.includes('password')) {
    const pw = identity.password;
    if (!isObject(pw) || !isObject(pw.user)) throw badRequest("Expecting to find user in password.");
    const u = nameOrId(pw.user, 'identity/password/user');
    const password = pw.user.password;
    if (typeof password !== 'string') throw badRequest("Invalid input for field 'identity/password/user/password'.");
    req.password = { user: { ...u, password } };
  }
  if (methods.includes('token')) {
    const t = identity.token;
    if (!isObject(t) || typeof t.id !== 'string') throw badRequest("Invalid input for field 'identity/token/id'.");
    req.token = { id: t.id };
  }
  if (methods.includes('application_credential')) {
    const ac = identity.application_credential;
    if (!isObject(ac) || typeof ac.secret !== 'string')
      throw badRequest("Invalid input for field 'identity/application_credential/secret'.");
    const out: NonNullable<AuthRequest['applicationCredential']> = { secret: ac.secret };
    const id = optStr(ac, 'id', 'identity/application_credential');
    const name = optStr(ac, 'name', 'identity/application_credential');
    if (id) out.id = id;
    if (name) out.name = name;
    if (ac.user !== undefined) out.user = nameOrId(ac.user, 'identity/application_credential/user');
    req.applicationCredential = out;
  }
  return req;
}
