import { useState, type FormEvent } from 'react';
import { login, type Session } from '../api/session';
import { ErrorBox } from '../components/ui';

/** Keystone password login, scoped to a project; the token stays in sessionStorage. */
export function Login(p: { onLogin: (s: Session) => void; notice?: string }) {
  const [user, setUser] = useState('demo');
  const [password, setPassword] = useState('');
  const [project, setProject] = useState('');
  const [domain, setDomain] = useState('Default');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      p.onLogin(await login(user.trim(), password, project.trim() || user.trim(), domain.trim() || 'Default'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-wrap">
      <form className="login" onSubmit={submit} aria-label="Log in">
        <div className="brand big">
          <span className="logo" /> Stratus
        </div>
        <p className="muted">An OpenStack cloud on one machine. Log in with your Keystone credentials.</p>
        {p.notice && <div className="notice">{p.notice}</div>}
        {error ? <ErrorBox error={error} /> : null}
        <label className="field">
          <span>User name</span>
          <input name="username" value={user} onChange={(e) => setUser(e.target.value)} autoComplete="username" required />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        </label>
        <label className="field">
          <span>Project</span>
          <input name="project" value={project} placeholder={user || 'demo'} onChange={(e) => setProject(e.target.value)} />
          <small>Defaults to a project named like the user (admin, demo).</small>
        </label>
        <label className="field">
          <span>Domain</span>
          <input name="domain" value={domain} onChange={(e) => setDomain(e.target.value)} />
        </label>
        <button className="btn primary wide" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
