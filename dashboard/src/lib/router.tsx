import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

// History routing: the gateway answers index.html for /login, /project/* and /admin/*.

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const l of listeners) l();
}

/** The current path; re-renders on navigation and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

export function Link(p: { to: string; children: ReactNode; className?: string; title?: string }) {
  const go = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(p.to);
  };
  return (
    <a href={p.to} onClick={go} className={p.className} title={p.title}>
      {p.children}
    </a>
  );
}
