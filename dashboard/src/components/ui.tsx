import { useState, type FormEvent, type ReactNode } from 'react';
import { describe } from '../api/errors';

export function Button(p: { children: ReactNode; onClick?: () => void; kind?: 'primary' | 'danger' | 'plain'; disabled?: boolean; type?: 'button' | 'submit'; title?: string; name?: string }) {
  return (
    <button type={p.type ?? 'button'} className={`btn ${p.kind ?? 'plain'}`} onClick={p.onClick} disabled={p.disabled} title={p.title} name={p.name}>
      {p.children}
    </button>
  );
}

/** An API failure with its message and what to do next. */
export function ErrorBox(p: { error: unknown; onRetry?: () => void }) {
  const d = describe(p.error);
  return (
    <div className="error" role="alert">
      <strong>{d.message}</strong>
      <div>{d.hint}</div>
      {p.onRetry && (
        <Button onClick={p.onRetry} kind="plain">
          Retry
        </Button>
      )}
    </div>
  );
}

export function Page(p: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="page">
      <header className="page-head">
        <h1>{p.title}</h1>
        <div className="actions">{p.actions}</div>
      </header>
      {p.children}
    </section>
  );
}

export function Badge(p: { status: string }) {
  const s = p.status.toUpperCase();
  const tone = /ACTIVE|AVAILABLE|IN-USE|UP|DOWNLOADED|^OK$/.test(s) ? 'ok' : /ERROR|FAIL|DOWN|KILLED/.test(s) ? 'bad' : /SHUTOFF|INACTIVE|DEACTIVATED|STOPPED/.test(s) ? 'off' : 'busy';
  return <span className={`badge ${tone}`}>{p.status}</span>;
}

/** A modal form: the submit runs `onSubmit`; the dialog stays open (with the error) if it fails. */
export function Modal(p: { title: string; onClose: () => void; onSubmit?: () => Promise<boolean | void>; submitLabel?: string; children: ReactNode; wide?: boolean }) {
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!p.onSubmit) return p.onClose();
    setBusy(true);
    try {
      const ok = await p.onSubmit();
      if (ok !== false) p.onClose();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && p.onClose()}>
      <form className={`modal${p.wide ? ' wide' : ''}`} onSubmit={submit} role="dialog" aria-label={p.title}>
        <h2>{p.title}</h2>
        <div className="modal-body">{p.children}</div>
        <footer>
          <Button onClick={p.onClose}>{p.onSubmit ? 'Cancel' : 'Close'}</Button>
          {p.onSubmit && (
            <Button type="submit" kind="primary" disabled={busy}>
              {busy ? 'Working…' : (p.submitLabel ?? 'Submit')}
            </Button>
          )}
        </footer>
      </form>
    </div>
  );
}

export function Field(p: { label: string; children: ReactNode; help?: string }) {
  return (
    <label className="field">
      <span>{p.label}</span>
      {p.children}
      {p.help && <small>{p.help}</small>}
    </label>
  );
}

/** A `<select>` of things with an id, each shown as `label(item)`; `onChange` gets the chosen id. */
export function Picker<T extends { id: string }>(p: { name?: string; value: string; onChange: (id: string) => void; items: readonly T[] | undefined; label: (item: T) => string }) {
  return (
    <select name={p.name} value={p.value} onChange={(e) => p.onChange(e.target.value)}>
      {p.items?.map((i) => (
        <option key={i.id} value={i.id}>
          {p.label(i)}
        </option>
      ))}
    </select>
  );
}

export function Tabs<T extends string>(p: { tabs: { id: T; label: string }[]; value: T; onChange: (t: T) => void }) {
  return (
    <nav className="tabs">
      {p.tabs.map((t) => (
        <button key={t.id} type="button" className={t.id === p.value ? 'on' : ''} onClick={() => p.onChange(t.id)}>
          {t.label}
        </button>
      ))}
    </nav>
  );
}

export const Spinner = () => <span className="spinner" aria-label="loading" />;

/** A spinner and what is going on (an upload, instances settling), beside a page's actions. */
export function Progress(p: { children: ReactNode }) {
  return (
    <span className="progress">
      <Spinner /> {p.children}
    </span>
  );
}
