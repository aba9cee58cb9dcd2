import { useState } from 'react';
import { associateFloatingIp, listFloatingIps, listNetworks, listPorts, listServers } from '../api/compute';
import type { FloatingIp } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page, Picker } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';
import { shortId } from '../lib/format';

/** Floating IPs: allocate from an external network, associate with an instance, release. */
export function FloatingIps() {
  const app = useApp();
  const { api } = app;
  const data = useLoad(async () => {
    const [fips, networks, servers, ports] = await Promise.all([listFloatingIps(api), listNetworks(api), listServers(api), listPorts(api)]);
    return { fips, networks, servers, ports };
  }, []);
  const rows = { ...data, data: data.data?.fips };
  const pools = data.data?.networks.filter((n) => n['router:external']) ?? [];
  const [allocating, setAllocating] = useState(false);
  const [assoc, setAssoc] = useState<FloatingIp>();
  const [choice, setChoice] = useState('');
  const attachedTo = (f: FloatingIp) => {
    if (!f.port_id) return '-';
    const port = data.data?.ports.find((p) => p.id === f.port_id);
    const server = port && data.data?.servers.find((s) => s.id === port.device_id);
    return `${server?.name ?? 'port ' + shortId(f.port_id)} (${f.fixed_ip_address ?? ''})`;
  };
  const allocate = async () => {
    const pool = choice || pools[0]?.id;
    if (!pool) {
      app.fail(new Error('There is no external network to allocate from; ask an admin to create one.'));
      return false;
    }
    return act(app, 'Floating IP allocated', () => api.post('network', '/floatingips', { floatingip: { floating_network_id: pool } }), data.reload);
  };
  const associate = async () => {
    const server = choice || data.data?.servers[0]?.id;
    if (!server) {
      app.fail(new Error('There is no instance to associate with: launch one first.'));
      return false;
    }
    return act(app, `Associated ${assoc!.floating_ip_address}`, () => associateFloatingIp(api, server, assoc!.id), data.reload);
  };
  return (
    <Page
      title="Floating IPs"
      actions={
        <Button
          kind="primary"
          onClick={() => {
            setChoice('');
            setAllocating(true);
          }}
        >
          Allocate IP to Project
        </Button>
      }
    >
      <Table
        rows={rows}
        rowKey={(f) => f.id}
        rowName={(f) => f.floating_ip_address}
        empty="No floating IPs: allocate one, then associate it with an instance."
        columns={[
          { title: 'IP address', cell: (f) => f.floating_ip_address },
          { title: 'Mapped fixed IP / instance', cell: attachedTo },
          { title: 'Pool', cell: (f) => data.data?.networks.find((n) => n.id === f.floating_network_id)?.name ?? '-' },
          { title: 'Status', cell: (f) => <Badge status={f.status} /> },
        ]}
        actions={(f) => (
          <span className="row-actions">
            {f.port_id ? (
              <Button onClick={() => void act(app, `Disassociated ${f.floating_ip_address}`, () => api.put('network', `/floatingips/${f.id}`, { floatingip: { port_id: null } })).then(data.reload)}>Disassociate</Button>
            ) : (
              <Button
                onClick={() => {
                  setChoice('');
                  setAssoc(f);
                }}
              >
                Associate
              </Button>
            )}
            <Button kind="danger" onClick={() => confirmAct(app, `Release ${f.floating_ip_address}?`, `Released ${f.floating_ip_address}`, () => api.del('network', `/floatingips/${f.id}`), data.reload)}>
              Release
            </Button>
          </span>
        )}
      />
      {allocating && (
        <Modal title="Allocate Floating IP" onClose={() => setAllocating(false)} onSubmit={allocate} submitLabel="Allocate IP">
          <Field label="Pool">
            <Picker name="pool" value={choice} onChange={setChoice} items={pools} label={(n) => n.name} />
          </Field>
        </Modal>
      )}
      {assoc && (
        <Modal title={`Associate ${assoc.floating_ip_address}`} onClose={() => setAssoc(undefined)} onSubmit={associate} submitLabel="Associate">
          <Field label="Instance">
            <Picker name="server" value={choice} onChange={setChoice} items={data.data?.servers} label={(s) => s.name} />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
