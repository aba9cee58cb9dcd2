import { useState, type ReactNode } from 'react';
import { getServer, isSettling, serverAction, serverIps } from '../api/compute';
import type { Server } from '../api/types';
import { Button, ErrorBox, Page, Spinner, Tabs } from '../components/ui';
import { useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';
import { Link, navigate } from '../lib/router';
import { FloatingIpDialog, ServerActions, Status } from './Instances';
import { shortId } from '../lib/format';

/** One instance: its fields, and its console log (Nova's os-getConsoleOutput). */
export function InstanceDetail(p: { id: string }) {
  const app = useApp();
  const server = useLoad(() => getServer(app.api, p.id), [p.id], { ms: 1000, while: isSettling });
  const [tab, setTab] = useState<'overview' | 'log'>('overview');
  const [fip, setFip] = useState(false);
  const s = server.data;
  return (
    <Page
      title={s ? `Instance ${s.name}` : 'Instance'}
      actions={
        <>
          <Link to="/project/instances">‹ All instances</Link>
          {s && <ServerActions app={app} s={s} reload={server.reload} onFip={() => setFip(true)} afterDelete={() => navigate('/project/instances')} />}
        </>
      }
    >
      {server.error ? <ErrorBox error={server.error} onRetry={server.reload} /> : null}
      {!s && !server.error && <Spinner />}
      {s && (
        <>
          <Tabs
            tabs={[
              { id: 'overview', label: 'Overview' },
              { id: 'log', label: 'Console Log' },
            ]}
            value={tab}
            onChange={setTab}
          />
          {tab === 'overview' ? <Fields s={s} /> : <ConsoleLog id={s.id} status={s.status} />}
          {fip && <FloatingIpDialog server={s} onClose={() => setFip(false)} onDone={server.reload} />}
        </>
      )}
    </Page>
  );
}

function Fields({ s }: { s: Server }) {
  const rows: [string, ReactNode][] = [
    ['Name', s.name],
    ['ID', <code key="id">{s.id}</code>],
    ['Status', <Status key="st" s={s} />],
    ['IP addresses', serverIps(s).join(', ') || '-'],
    ['Flavor', s.flavor.original_name ?? s.flavor.id],
    ['Key pair', s.key_name ?? '-'],
    ['Security groups', (s.security_groups ?? []).map((g) => g.name).join(', ') || '-'],
    ['Volumes attached', (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => shortId(v.id)).join(', ') || '-'],
    ['Created', new Date(s.created).toLocaleString()],
  ];
  if (s.fault) rows.push(['Fault', <span key="f" className="bad-text">{s.fault.message}</span>]);
  return (
    <dl className="fields">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function ConsoleLog(p: { id: string; status: string }) {
  const { api } = useApp();
  const [lines, setLines] = useState(200);
  const log = useLoad(() => serverAction(api, p.id, { 'os-getConsoleOutput': { length: lines } }).then((r) => (r as { output: string }).output), [p.id, lines, p.status]);
  return (
    <div className="console">
      <div className="console-bar">
        <span className="muted">Last {lines} lines</span>
        <Button onClick={log.reload}>Refresh</Button>
        <Button onClick={() => setLines(lines * 5)}>Show more</Button>
      </div>
      {log.error ? <ErrorBox error={log.error} onRetry={log.reload} /> : null}
      <pre className="console-log" aria-label="Console log">
        {log.data ?? (log.loading ? 'Loading…' : '')}
      </pre>
    </div>
  );
}
