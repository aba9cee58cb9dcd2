import { useState } from 'react';
import { listNetworks } from '../api/compute';
import type { Subnet } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';
import { shortId } from '../lib/format';

/** Networks with their subnets; create a network with one subnet, delete. */
export function Networks() {
  const app = useApp();
  const { api, session } = app;
  const nets = useLoad(async () => {
    const [networks, subnets] = await Promise.all([listNetworks(api), api.get<{ subnets: Subnet[] }>('network', '/subnets').then((r) => r.subnets)]);
    return networks.map((n) => ({ ...n, subnetList: subnets.filter((s) => s.network_id === n.id) }));
  }, []);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [cidr, setCidr] = useState('10.1.0.0/24');
  const create = async () => {
    return act(app, `Created network ${name}`, async () => {
      const n = await api.post<{ network: { id: string } }>('network', '/networks', { network: { name: name.trim() } });
      if (cidr.trim()) {
        try {
          await api.post('network', '/subnets', { subnet: { network_id: n.network.id, name: `${name.trim()}-subnet`, cidr: cidr.trim(), ip_version: cidr.includes(':') ? 6 : 4 } });
        } catch (e) {
          // Do not leave a network without the subnet the user asked for.
          await api.del('network', `/networks/${n.network.id}`).catch(() => undefined);
          throw e;
        }
      }
    }, nets.reload);
  };
  return (
    <Page
      title="Networks"
      actions={
        <Button
          kind="primary"
          onClick={() => {
            setName('');
            setOpen(true);
          }}
        >
          Create Network
        </Button>
      }
    >
      <Table
        rows={nets}
        rowKey={(n) => n.id}
        rowName={(n) => n.name}
        empty="No networks."
        columns={[
          { title: 'Name', cell: (n) => n.name },
          { title: 'Subnets', cell: (n) => n.subnetList.map((s) => <div key={s.id}>{`${s.name || shortId(s.id)} ${s.cidr}${s.gateway_ip ? ` (gw ${s.gateway_ip})` : ''}`}</div>) },
          { title: 'Shared', cell: (n) => (n.shared ? 'yes' : 'no') },
          { title: 'External', cell: (n) => (n['router:external'] ? 'yes' : 'no') },
          { title: 'Status', cell: (n) => <Badge status={n.status} /> },
        ]}
        actions={(n) =>
          n.project_id === session.project.id ? (
            <Button kind="danger" onClick={() => confirmAct(app, `Delete network ${n.name}?`, `Deleted network ${n.name}`, () => api.del('network', `/networks/${n.id}`), nets.reload)}>
              Delete
            </Button>
          ) : null
        }
      />
      {open && (
        <Modal title="Create Network" onClose={() => setOpen(false)} onSubmit={create} submitLabel="Create">
          <Field label="Network name">
            <input name="network_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
          <Field label="Subnet CIDR" help="Leave empty for a network without a subnet.">
            <input name="cidr" value={cidr} onChange={(e) => setCidr(e.target.value)} />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
