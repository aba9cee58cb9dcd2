import { useState } from 'react';
import { associateFloatingIp, isSettling, listFlavors, listFloatingIps, listImages, listNetworks, listServers, serverAction, serverIps } from '../api/compute';
import type { Server } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page, Progress, Spinner } from '../components/ui';
import { act, useApp, type AppCtx } from '../lib/app';
import { ago, shortId } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Link, navigate } from '../lib/router';
import { LaunchWizard } from './LaunchWizard';

/** Instances with status, IPs, flavor and image; polls while any of them is settling. */
export function Instances() {
  const app = useApp();
  const { api } = app;
  const servers = useLoad(() => listServers(api), [], { ms: 1000, while: (l) => l.some(isSettling) });
  const names = useLoad(async () => {
    const [flavors, images] = await Promise.all([listFlavors(api), api.has('image') ? listImages(api) : []]);
    return { flavors: new Map(flavors.map((f) => [f.id, f.name])), images: new Map(images.map((i) => [i.id, i.name])) };
  }, []);
  const [launching, setLaunching] = useState(false);
  const [fipFor, setFipFor] = useState<Server>();
  const settling = servers.data?.some(isSettling);
  return (
    <Page
      title="Instances"
      actions={
        <>
          {settling && <Progress>waiting for instances to settle…</Progress>}
          <Button onClick={servers.reload}>Refresh</Button>
          <Button kind="primary" onClick={() => setLaunching(true)}>
            Launch Instance
          </Button>
        </>
      }
    >
      <Table
        rows={servers}
        rowKey={(s) => s.id}
        rowName={(s) => s.name}
        empty="No instances yet: launch one."
        columns={[
          { title: 'Name', cell: (s) => <Link to={`/project/instances/${s.id}`}>{s.name}</Link> },
          { title: 'Image', cell: (s) => (s.image ? (names.data?.images.get(s.image.id) ?? shortId(s.image.id)) : 'volume') },
          { title: 'IP addresses', cell: (s) => serverIps(s).map((ip) => <div key={ip}>{ip}</div>) },
          { title: 'Flavor', cell: (s) => s.flavor.original_name ?? names.data?.flavors.get(s.flavor.id ?? '') ?? s.flavor.id },
          { title: 'Key pair', cell: (s) => s.key_name ?? '-' },
          { title: 'Status', cell: (s) => <Status s={s} /> },
          { title: 'Age', cell: (s) => ago(s.created) },
        ]}
        actions={(s) => <ServerActions app={app} s={s} reload={servers.reload} onFip={() => setFipFor(s)} />}
      />
      {launching && <LaunchWizard onClose={() => setLaunching(false)} onLaunched={() => servers.reload()} />}
      {fipFor && <FloatingIpDialog server={fipFor} onClose={() => setFipFor(undefined)} onDone={servers.reload} />}
    </Page>
  );
}

export function Status(p: { s: Server }) {
  const task = p.s['OS-EXT-STS:task_state'];
  return (
    <span className="status-cell">
      <Badge status={p.s.status} />
      {task ? <span className="muted"> {task}</span> : null}
      {isSettling(p.s) ? <Spinner /> : null}
    </span>
  );
}

/** Start, stop, reboot, delete and floating IP, as far as the server's state allows. */
export function ServerActions(p: { app: AppCtx; s: Server; reload: () => void; onFip?: () => void; afterDelete?: () => void }) {
  const { app, s } = p;
  const run = (label: string, body: unknown) => void act(app, `${label}: ${s.name}`, () => serverAction(app.api, s.id, body)).then(p.reload);
  const del = () => {
    if (!confirm(`Delete instance ${s.name}? Its disk is lost.`)) return;
    void act(app, `Deleting ${s.name}`, () => app.api.del('compute', `/servers/${s.id}`)).then((ok) => (ok && p.afterDelete ? p.afterDelete() : p.reload()));
  };
  const busy = isSettling(s);
  return (
    <span className="row-actions">
      {s.status === 'SHUTOFF' && <Button onClick={() => run('Starting', { 'os-start': null })}>Start</Button>}
      {s.status === 'ACTIVE' && <Button onClick={() => run('Stopping', { 'os-stop': null })}>Stop</Button>}
      {s.status === 'ACTIVE' && <Button onClick={() => run('Rebooting', { reboot: { type: 'SOFT' } })}>Reboot</Button>}
      {p.onFip && s.status !== 'ERROR' && (
        <Button onClick={p.onFip} disabled={busy}>
          Associate Floating IP
        </Button>
      )}
      <Button kind="danger" onClick={del}>
        Delete
      </Button>
    </span>
  );
}

/** Pick a free floating IP, or allocate one from an external network, and associate it. */
export function FloatingIpDialog(p: { server: Server; onClose: () => void; onDone: () => void }) {
  const app = useApp();
  const { api } = app;
  const data = useLoad(async () => {
    const [fips, nets] = await Promise.all([listFloatingIps(api), listNetworks(api)]);
    return { free: fips.filter((f) => !f.port_id), pools: nets.filter((n) => n['router:external']) };
  }, []);
  const [choice, setChoice] = useState('');
  const submit = async () => {
    const d = data.data;
    if (!d) return false;
    let fipId = choice;
    const ok = await act(app, `Floating IP associated with ${p.server.name}`, async () => {
      if (!fipId || fipId.startsWith('pool:')) {
        const pool = fipId ? fipId.slice(5) : d.pools[0]?.id;
        if (!pool) throw new Error('There is no external network to allocate a floating IP from; ask an admin to create one.');
        const r = await api.post<{ floatingip: { id: string } }>('network', '/floatingips', { floatingip: { floating_network_id: pool } });
        fipId = r.floatingip.id;
      }
      await associateFloatingIp(api, p.server.id, fipId);
    });
    if (ok) p.onDone();
    return ok;
  };
  return (
    <Modal title={`Associate a floating IP with ${p.server.name}`} onClose={p.onClose} onSubmit={submit} submitLabel="Associate">
      {!data.data ? (
        <Spinner />
      ) : (
        <Field label="Floating IP">
          <select name="floating_ip" value={choice} onChange={(e) => setChoice(e.target.value)}>
            {data.data.pools.map((n) => (
              <option key={n.id} value={`pool:${n.id}`}>
                Allocate a new one from {n.name}
              </option>
            ))}
            {data.data.free.map((f) => (
              <option key={f.id} value={f.id}>
                {f.floating_ip_address}
              </option>
            ))}
          </select>
        </Field>
      )}
    </Modal>
  );
}

export const goToInstances = () => navigate('/project/instances');
