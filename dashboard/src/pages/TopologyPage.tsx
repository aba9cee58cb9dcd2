import { isSettling, listFloatingIps, listNetworks, listPorts, listServers } from '../api/compute';
import type { Router, Subnet } from '../api/types';
import { Topology } from '../components/Topology';
import { Button, ErrorBox, Page, Spinner } from '../components/ui';
import { useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';

/** The project's networks, routers and instances as a graph (Neutron and Nova lists only). */
export function TopologyPage() {
  const { api } = useApp();
  const topo = useLoad(
    async () => {
      const [networks, subnets, routers, ports, servers, floatingIps] = await Promise.all([
        listNetworks(api),
        api.get<{ subnets: Subnet[] }>('network', '/subnets').then((r) => r.subnets),
        api.get<{ routers: Router[] }>('network', '/routers').then((r) => r.routers),
        listPorts(api),
        listServers(api),
        listFloatingIps(api),
      ]);
      return { networks, subnets, routers, ports, servers, floatingIps };
    },
    [],
    { ms: 1500, while: (d) => d.servers.some(isSettling) },
  );
  return (
    <Page title="Network Topology" actions={<Button onClick={topo.reload}>Refresh</Button>}>
      <p className="muted">Click an instance for its details, a router or network for its list.</p>
      {topo.error ? <ErrorBox error={topo.error} onRetry={topo.reload} /> : null}
      {!topo.data && !topo.error && <Spinner />}
      {topo.data && (
        <div className="topology-wrap">
          <Topology data={topo.data} />
        </div>
      )}
    </Page>
  );
}
