import { ApiError, fromResponse, hintFor } from './errors';

/** The catalog as Keystone puts it in a token. */
export interface CatalogService {
  type: string;
  name: string;
  endpoints: { interface: string; region?: string; url: string }[];
}

/** A project-scoped Keystone token and what the dashboard needs from it. */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; name: string; domain: string };
  project: { id: string; name: string; domain: string };
  roles: string[];
  catalog: CatalogService[];
}

const KEY = 'stratus.session';
/** Keystone is found where the dashboard is served: the same gateway serves every API. */
const IDENTITY = '/identity/v3';

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Session;
    if (Date.parse(s.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
    return s;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string; domain: { id: string; name: string } };
    project?: { id: string; name: string; domain: { id: string; name: string } };
    roles?: { name: string }[];
    catalog?: CatalogService[];
  };
}

async function issue(auth: unknown): Promise<Session> {
  let res: Response;
  try {
    res = await fetch(`${IDENTITY}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth }) });
  } catch {
    throw new ApiError('network error', 0, hintFor(0, ''), 'identity');
  }
  if (res.status === 401) throw new ApiError('The username, password or project is not right.', 401, 'Check them (the defaults are admin or demo, password secret, domain Default) and try again.', 'identity');
  if (!res.ok) throw await fromResponse(res, 'identity');
  const token = res.headers.get('x-subject-token');
  const body = (await res.json()) as TokenBody;
  const t = body.token;
  if (!token || !t.project) throw new ApiError('Keystone returned a token without a project scope.', 500, 'Pick a project you have a role on.', 'identity');
  return {
    token,
    expiresAt: t.expires_at,
    user: { id: t.user.id, name: t.user.name, domain: t.user.domain.name },
    project: { id: t.project.id, name: t.project.name, domain: t.project.domain.name },
    roles: (t.roles ?? []).map((r) => r.name),
    catalog: t.catalog ?? [],
  };
}

/** Password login, scoped to a project (by name, in the given domain). */
export function login(user: string, password: string, project: string, domain: string): Promise<Session> {
  return issue({
    identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } },
    scope: { project: { name: project, domain: { name: domain } } },
  });
}

/** A new token for another project, from the current one (Keystone's token method). */
export function rescope(s: Session, projectId: string): Promise<Session> {
  return issue({ identity: { methods: ['token'], token: { id: s.token } }, scope: { project: { id: projectId } } });
}

/** The projects the user may switch to. */
export async function myProjects(s: Session): Promise<{ id: string; name: string }[]> {
  const res = await fetch(`${IDENTITY}/auth/projects`, { headers: { 'x-auth-token': s.token } });
  if (!res.ok) throw await fromResponse(res, 'identity');
  return ((await res.json()) as { projects: { id: string; name: string }[] }).projects;
}

/** Revokes the token; the session is forgotten even if Keystone cannot be reached. */
export async function logout(s: Session): Promise<void> {
  saveSession(undefined);
  await fetch(`${IDENTITY}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': s.token, 'x-subject-token': s.token } }).catch(() => undefined);
}

export const isAdmin = (s: Session) => s.roles.includes('admin');

/**
 * The public URL of a service from the catalog, on the page's own origin.
 * NOTE: the catalog says `http://127.0.0.1:5000/...` while the page may be open as
 * `http://localhost:5000`; the gateway serves both the page and every API, so only the path is
 * kept, which keeps every call same-origin (no CORS, and the page's CSP allows only 'self').
 */
export function endpoint(s: Session, type: string): string | undefined {
  const svc = s.catalog.find((c) => c.type === type);
  const ep = svc?.endpoints.find((e) => e.interface === 'public') ?? svc?.endpoints[0];
  if (!ep) return undefined;
  const u = new URL(ep.url, location.origin);
  return `${location.origin}${u.pathname.replace(/\/+$/, '')}`;
}
