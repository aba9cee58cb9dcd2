import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Api } from './api/client';
import { describe } from './api/errors';
import { isAdmin, loadSession, logout, myProjects, rescope, saveSession, type Session } from './api/session';
import { AppContext, type AppCtx } from './lib/app';
import { Link, navigate, usePath } from './lib/router';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { Instances } from './pages/Instances';
import { InstanceDetail } from './pages/InstanceDetail';
import { Volumes } from './pages/Volumes';
import { Images } from './pages/Images';
import { TopologyPage } from './pages/TopologyPage';
import { Networks } from './pages/Networks';
import { Routers } from './pages/Routers';
import { FloatingIps } from './pages/FloatingIps';
import { SecurityGroups } from './pages/SecurityGroups';
import { Containers } from './pages/Containers';
import { KeyPairs } from './pages/KeyPairs';
import { Metrics } from './pages/Metrics';
import { IdentityAdmin } from './pages/IdentityAdmin';

interface NavItem {
  path: string;
  label: string;
  group: string;
  page: (rest: string) => ReactNode;
  /** Shown only when it holds (a service in the catalog, an admin role). */
  when?: (s: Session, api: Api) => boolean;
}

const NAV: NavItem[] = [
  { group: 'Compute', path: '/project/overview', label: 'Overview', page: () => <Overview /> },
  { group: 'Compute', path: '/project/instances', label: 'Instances', page: (rest) => (rest ? <InstanceDetail id={rest} /> : <Instances />) },
  { group: 'Compute', path: '/project/images', label: 'Images', page: () => <Images />, when: (_s, a) => a.has('image') },
  { group: 'Compute', path: '/project/key_pairs', label: 'Key Pairs', page: () => <KeyPairs /> },
  { group: 'Volumes', path: '/project/volumes', label: 'Volumes', page: () => <Volumes />, when: (_s, a) => a.has('volume') },
  { group: 'Network', path: '/project/network_topology', label: 'Network Topology', page: () => <TopologyPage /> },
  { group: 'Network', path: '/project/networks', label: 'Networks', page: () => <Networks /> },
  { group: 'Network', path: '/project/routers', label: 'Routers', page: () => <Routers /> },
  { group: 'Network', path: '/project/floating_ips', label: 'Floating IPs', page: () => <FloatingIps /> },
  { group: 'Network', path: '/project/security_groups', label: 'Security Groups', page: () => <SecurityGroups /> },
  { group: 'Object Store', path: '/project/containers', label: 'Containers', page: (rest) => <Containers path={rest} />, when: (_s, a) => a.has('object') },
  { group: 'Telemetry', path: '/project/metrics', label: 'Metrics', page: () => <Metrics />, when: (_s, a) => a.has('metric') },
  { group: 'Identity', path: '/admin/identity', label: 'Projects & Users', page: () => <IdentityAdmin />, when: (s) => isAdmin(s) },
];

/** A page of the app (where login may send the user back to), never another origin. */
const isPagePath = (path: string) => path.startsWith('/project/') || path.startsWith('/admin/');

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string>();
  const path = usePath();
  const expire = useCallback(() => {
    saveSession(undefined);
    setSession(undefined);
    setNotice('Your session expired: log in again.');
  }, []);
  const onLogin = (s: Session) => {
    saveSession(s);
    setSession(s);
    setNotice(undefined);
    const back = new URLSearchParams(location.search).get('next');
    navigate(back && isPagePath(back) ? back : '/project/overview', true);
  };
  useEffect(() => {
    if (!session && path !== '/login') navigate(`/login${isPagePath(path) ? `?next=${encodeURIComponent(path)}` : ''}`, true);
    else if (session && (path === '/' || path === '/login' || path === '/index.html')) navigate('/project/overview', true);
  }, [session, path]);
  if (!session) return <Login onLogin={onLogin} notice={notice} />;
  return <Shell session={session} setSession={setSession} expire={expire} path={path} />;
}

interface Toast {
  id: number;
  text: string;
  error?: { message: string; hint: string };
}

function Shell(p: { session: Session; setSession: (s: Session | undefined) => void; expire: () => void; path: string }) {
  const { session, path, setSession } = p;
  const api = useMemo(() => new Api(session, p.expire), [session, p.expire]);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [projects, setProjects] = useState<{ id: string; name: string }[]>([]);
  const push = useCallback((t: Omit<Toast, 'id'>) => {
    const id = Date.now() + Math.random();
    setToasts((l) => [...l.slice(-3), { ...t, id }]);
    if (!t.error) setTimeout(() => setToasts((l) => l.filter((x) => x.id !== id)), 4000);
  }, []);
  useEffect(() => {
    myProjects(session).then(setProjects, () => setProjects([session.project]));
  }, [session]);
  const ctx: AppCtx = useMemo(
    () => ({
      api,
      session,
      notify: (text) => push({ text }),
      fail: (e) => push({ text: '', error: describe(e) }),
      async switchProject(id) {
        try {
          const s = await rescope(session, id);
          saveSession(s);
          setSession(s);
          navigate('/project/overview');
        } catch (e) {
          push({ text: '', error: describe(e) });
        }
      },
    }),
    [api, session, push, setSession],
  );
  const visible = NAV.filter((n) => !n.when || n.when(session, api));
  const item = visible.find((n) => path === n.path || path.startsWith(`${n.path}/`));
  const rest = item && path.length > item.path.length ? decodeURIComponent(path.slice(item.path.length + 1)) : '';
  const groups = [...new Set(visible.map((n) => n.group))];
  const signOut = async () => {
    await logout(session);
    p.setSession(undefined);
    navigate('/login');
  };
  return (
    <AppContext.Provider value={ctx}>
      <div className="shell">
        <aside className="side">
          <div className="brand">
            <span className="logo" /> Stratus
          </div>
          <nav>
            {groups.map((g) => (
              <div key={g} className="nav-group">
                <div className="nav-title">{g}</div>
                {visible
                  .filter((n) => n.group === g)
                  .map((n) => (
                    <Link key={n.path} to={n.path} className={item === n ? 'on' : ''}>
                      {n.label}
                    </Link>
                  ))}
              </div>
            ))}
          </nav>
        </aside>
        <div className="main">
          <header className="top">
            <label className="project-switch">
              Project
              <select aria-label="Project" value={session.project.id} onChange={(e) => void ctx.switchProject(e.target.value)}>
                {(projects.some((x) => x.id === session.project.id) ? projects : [session.project, ...projects]).map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>
            </label>
            <span className="who">
              {session.user.name} <span className="muted">({session.roles.join(', ')})</span>
            </span>
            <button type="button" className="btn plain" onClick={() => void signOut()}>
              Sign out
            </button>
          </header>
          <main key={session.project.id}>{item ? item.page(rest) : <NotFound />}</main>
        </div>
        <div className="toasts" aria-live="polite">
          {toasts.map((t) =>
            t.error ? (
              <div key={t.id} className="toast bad" role="alert">
                <strong>{t.error.message}</strong>
                <div>{t.error.hint}</div>
                <button type="button" className="x" aria-label="Dismiss" onClick={() => setToasts((l) => l.filter((x) => x.id !== t.id))}>
                  ×
                </button>
              </div>
            ) : (
              <div key={t.id} className="toast ok">
                {t.text}
              </div>
            ),
          )}
        </div>
      </div>
    </AppContext.Provider>
  );
}

function NotFound() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        This page does not exist, or your role cannot see it. Go to the <Link to="/project/overview">overview</Link>.
      </p>
    </section>
  );
}
