import type { ReactNode } from 'react';
import type { Loaded } from '../lib/hooks';
import { ErrorBox, Spinner } from './ui';

export interface Column<T> {
  title: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

/**
 * A list of resources with its loading and error states. Rows carry `data-row` with their
 * name, so the browser tests (and users of the accessibility tree) find them by name.
 */
export function Table<T>(p: { rows: Loaded<T[]>; columns: Column<T>[]; rowKey: (r: T) => string; rowName?: (r: T) => string; empty: string; actions?: (r: T) => ReactNode }) {
  const { data, error, loading, reload } = p.rows;
  if (error && !data) return <ErrorBox error={error} onRetry={reload} />;
  if (!data) return <div className="loading"><Spinner /> Loading…</div>;
  return (
    <>
      {error ? <ErrorBox error={error} onRetry={reload} /> : null}
      <table className="table">
        <thead>
          <tr>
            {p.columns.map((c) => (
              <th key={c.title} className={c.className}>{c.title}</th>
            ))}
            {p.actions && <th className="actions-col">Actions {loading && <Spinner />}</th>}
          </tr>
        </thead>
        <tbody>
          {data.length === 0 && (
            <tr>
              <td className="empty" colSpan={p.columns.length + (p.actions ? 1 : 0)}>{p.empty}</td>
            </tr>
          )}
          {data.map((r) => (
            <tr key={p.rowKey(r)} data-row={p.rowName ? p.rowName(r) : p.rowKey(r)}>
              {p.columns.map((c) => (
                <td key={c.title} className={c.className}>{c.cell(r)}</td>
              ))}
              {p.actions && <td className="actions-col">{p.actions(r)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
