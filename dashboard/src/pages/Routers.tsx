import { useState } from 'react';
import { listNetworks, listPorts } from '../api/compute';
import type { Router, Subnet } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page, Picker } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';
import { shortId } from '../lib/format';

/** Routers: gateway, interfaces; create with a gateway, add an interface to a subnet, delete. */
export function Routers() {
  const app = useApp();
  const { api } = app;
  const data = useLoad(async () => {
    const [routers, networks, subnets, ports] = await Promise.all([
      api.get<{ routers: Router[] }>('network', '/routers').then((r) => r.routers),
      listNetworks(api),
      api.get<{ subnets: Subnet[] }>('network', '/subnets').then((r) => r.subnets),
      listPorts(api, '?device_owner=network:router_interface'),
    ]);
    return { routers, networks, subnets, ports };
  }, []);
  const rows = { ...data, data: data.data?.routers };
  const netName = (id: string) => data.data?.networks.find((n) => n.id === id)?.name ?? shortId(id);
  const [creating, setCreating] = useState(false);
  const [iface, setIface] = useState<Router>();
  const [name, setName] = useState('');
  const [choice, setChoice] = useState('');
  const externals = data.data?.networks.filter((n) => n['router:external']) ?? [];
  const create = async () => {
    const gw = choice || externals[0]?.id;
    return act(app, `Created router ${name}`, () => api.post('network', '/routers', { router: { name: name.trim(), ...(gw ? { external_gateway_info: { network_id: gw } } : {}) } }), data.reload);
  };
  const tenantSubnets = data.data?.subnets.filter((s) => !externals.some((n) => n.id === s.network_id)) ?? [];
  const addIface = async () => {
    const subnet = choice || tenantSubnets[0]?.id;
    if (!subnet) {
      app.fail(new Error('There is no subnet to connect: create a network with a subnet first.'));
      return false;
    }
    return act(app, `Interface added to ${iface!.name}`, () => api.put('network', `/routers/${iface!.id}/add_router_interface`, { subnet_id: subnet }), data.reload);
  };
  const removeIface = (r: Router, portId: string) => void act(app, `Interface removed from ${r.name}`, () => api.put('network', `/routers/${r.id}/remove_router_interface`, { port_id: portId })).then(data.reload);
  return (
    <Page
      title="Routers"
      actions={
        <Button
          kind="primary"
          onClick={() => {
            setName('');
            setChoice('');
            setCreating(true);
          }}
        >
          Create Router
        </Button>
      }
    >
      <Table
        rows={rows}
        rowKey={(r) => r.id}
        rowName={(r) => r.name}
        empty="No routers: create one to reach the external network."
        columns={[
          { title: 'Name', cell: (r) => r.name },
          { title: 'Status', cell: (r) => <Badge status={r.status} /> },
          { title: 'External gateway', cell: (r) => (r.external_gateway_info ? `${netName(r.external_gateway_info.network_id)} ${r.external_gateway_info.external_fixed_ips?.map((i) => i.ip_address).join(', ') ?? ''}` : '-') },
          {
            title: 'Interfaces',
            cell: (r) =>
              data.data?.ports
                .filter((pt) => pt.device_id === r.id)
                .map((pt) => (
                  <div key={pt.id}>
                    {netName(pt.network_id)} {pt.fixed_ips.map((i) => i.ip_address).join(', ')}{' '}
                    <button type="button" className="link-btn" onClick={() => removeIface(r, pt.id)}>
                      remove
                    </button>
                  </div>
                )),
          },
        ]}
        actions={(r) => (
          <span className="row-actions">
            <Button
              onClick={() => {
                setChoice('');
                setIface(r);
              }}
            >
              Add Interface
            </Button>
            <Button kind="danger" onClick={() => confirmAct(app, `Delete router ${r.name}?`, `Deleted router ${r.name}`, () => api.del('network', `/routers/${r.id}`), data.reload)}>
              Delete
            </Button>
          </span>
        )}
      />
      {creating && (
        <Modal title="Create Router" onClose={() => setCreating(false)} onSubmit={create} submitLabel="Create Router">
          <Field label="Router name">
            <input name="router_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
          <Field label="External network">
            <Picker value={choice} onChange={setChoice} items={externals} label={(n) => n.name} />
          </Field>
        </Modal>
      )}
      {iface && (
        <Modal title={`Add an interface to ${iface.name}`} onClose={() => setIface(undefined)} onSubmit={addIface} submitLabel="Add Interface">
          <Field label="Subnet">
            <Picker value={choice} onChange={setChoice} items={tenantSubnets} label={(s) => `${netName(s.network_id)}: ${s.cidr}`} />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
