import type { FloatingIp, Network, Port, Router, Server, Subnet } from '../api/types';
import { navigate } from '../lib/router';
import { shortId } from '../lib/format';

export interface TopologyData {
  networks: Network[];
  subnets: Subnet[];
  routers: Router[];
  ports: Port[];
  servers: Server[];
  floatingIps: FloatingIp[];
}

interface Placed {
  id: string;
  x: number;
  y: number;
}

const COL_MIN = 220;
const INST_W = 124;
const BAR_H = 14;
const Y_EXT = 34;
const Y_ROUTER = 110;
const Y_NET = 200;
const Y_INST = 270;

/**
 * The project's network topology as an SVG, laid out in layers like Horizon's: external
 * networks as a bar across the top, routers below them, each tenant network as a bar with its
 * own column, and the instances under their first network. Lines are ports: a router's gateway
 * and interfaces, an instance's NICs (labelled with the fixed IP, and the floating IP if any).
 */
export function Topology(p: { data: TopologyData }) {
  const { networks, subnets, routers, ports, servers, floatingIps } = p.data;
  const external = networks.filter((n) => n['router:external']);
  const internal = networks.filter((n) => !n['router:external']);
  const serverNets = new Map<string, Port[]>();
  for (const port of ports) {
    if (!port.device_owner.startsWith('compute:')) continue;
    const list = serverNets.get(port.device_id) ?? [];
    list.push(port);
    serverNets.set(port.device_id, list);
  }
  // Columns: one per tenant network, wide enough for the instances placed under it.
  const homeOf = (s: Server) => serverNets.get(s.id)?.[0]?.network_id;
  const cols = internal.map((n) => ({ net: n, servers: servers.filter((s) => homeOf(s) === n.id) }));
  const homeless = servers.filter((s) => !internal.some((n) => n.id === homeOf(s)));
  let x = 20;
  const netPos = new Map<string, { x0: number; x1: number; cx: number }>();
  const srvPos = new Map<string, Placed>();
  for (const c of cols) {
    const w = Math.max(COL_MIN, c.servers.length * (INST_W + 16) + 16);
    netPos.set(c.net.id, { x0: x, x1: x + w - 20, cx: x + (w - 20) / 2 });
    c.servers.forEach((s, i) => srvPos.set(s.id, { id: s.id, x: x + 8 + i * (INST_W + 16), y: Y_INST }));
    x += w;
  }
  homeless.forEach((s, i) => srvPos.set(s.id, { id: s.id, x: x + 8 + i * (INST_W + 16), y: Y_INST }));
  x += homeless.length * (INST_W + 16);
  const width = Math.max(x + 20, 640);
  const extBar = { x0: 20, x1: width - 20 };
  // Routers sit above the middle of the networks they join.
  const ifaces = ports.filter((pt) => pt.device_owner === 'network:router_interface' || pt.device_owner === 'network:router_interface_distributed');
  const routerPos = new Map<string, Placed>();
  routers.forEach((r, i) => {
    const xs = ifaces.filter((pt) => pt.device_id === r.id).flatMap((pt) => netPos.get(pt.network_id)?.cx ?? []);
    const cx = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 80 + i * 150;
    routerPos.set(r.id, { id: r.id, x: cx - 50 + (i % 2) * 0, y: Y_ROUTER });
  });
  const maxInst = Math.max(0, ...[...serverNets.values()].map((l) => l.length));
  const height = Y_INST + 80 + (maxInst > 1 ? 20 : 0);
  const cidrs = (n: Network) => subnets.filter((s) => s.network_id === n.id).map((s) => s.cidr).join(', ');
  const fipOf = (portId: string) => floatingIps.find((f) => f.port_id === portId)?.floating_ip_address;

  return (
    <svg className="topology" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="Network topology">
      {/* Links first, so the nodes draw over them. */}
      {routers.map((r) => {
        const rp = routerPos.get(r.id)!;
        const gw = r.external_gateway_info && external.some((n) => n.id === r.external_gateway_info!.network_id);
        return (
          <g key={`l-${r.id}`} className="link">
            {gw && <line x1={rp.x + 50} y1={Y_EXT + BAR_H} x2={rp.x + 50} y2={rp.y} />}
            {gw && r.external_gateway_info!.external_fixed_ips?.[0] && (
              <text x={rp.x + 56} y={Y_EXT + BAR_H + 20} className="ip">{r.external_gateway_info!.external_fixed_ips[0].ip_address}</text>
            )}
            {ifaces
              .filter((pt) => pt.device_id === r.id && netPos.has(pt.network_id))
              .map((pt) => {
                const np = netPos.get(pt.network_id)!;
                return (
                  <g key={pt.id}>
                    <line x1={rp.x + 50} y1={rp.y + 36} x2={np.cx} y2={Y_NET} />
                    <text x={np.cx + 6} y={Y_NET - 8} className="ip">{pt.fixed_ips[0]?.ip_address}</text>
                  </g>
                );
              })}
          </g>
        );
      })}
      {servers.map((s) => {
        const sp = srvPos.get(s.id)!;
        return (serverNets.get(s.id) ?? []).map((pt, i) => {
          const np = netPos.get(pt.network_id) ?? (external.some((n) => n.id === pt.network_id) ? { cx: sp.x + INST_W / 2, x0: 0, x1: 0 } : undefined);
          if (!np) return null;
          const cx = sp.x + 20 + i * 24;
          const yTop = external.some((n) => n.id === pt.network_id) ? Y_EXT + BAR_H : Y_NET + BAR_H;
          const fip = fipOf(pt.id);
          return (
            <g key={pt.id} className="link">
              <line x1={cx} y1={sp.y} x2={Math.min(Math.max(cx, np.x0 || cx), np.x1 || cx)} y2={yTop} />
              <text x={cx + 4} y={sp.y - 8 - i * 12} className="ip">
                {pt.fixed_ips[0]?.ip_address}
                {fip ? ` ↔ ${fip}` : ''}
              </text>
            </g>
          );
        });
      })}
      {external.length > 0 && (
        <g className="net external">
          <rect x={extBar.x0} y={Y_EXT} width={extBar.x1 - extBar.x0} height={BAR_H} rx={4} data-node={`network:${external.map((n) => n.name).join(',')}`} />
          <text x={extBar.x0 + 6} y={Y_EXT - 6} className="label">
            {external.map((n) => (cidrs(n) ? `${n.name} ${cidrs(n)}` : n.name)).join('   ')} · external network
          </text>
        </g>
      )}
      {internal.map((n) => {
        const np = netPos.get(n.id)!;
        return (
          <g key={n.id} className="net" onClick={() => navigate('/project/networks')}>
            <rect x={np.x0} y={Y_NET} width={np.x1 - np.x0} height={BAR_H} rx={4} data-node={`network:${n.name}`} />
            <text x={np.x0 + 4} y={Y_NET + BAR_H + 14} className="label">
              {n.name} {cidrs(n)}
            </text>
          </g>
        );
      })}
      {routers.map((r) => {
        const rp = routerPos.get(r.id)!;
        return (
          <g key={r.id} className="node router" data-node={`router:${r.name}`} onClick={() => navigate('/project/routers')}>
            <rect x={rp.x} y={rp.y} width={100} height={36} rx={18} />
            <text x={rp.x + 50} y={rp.y + 23} textAnchor="middle">⇄ {r.name || shortId(r.id)}</text>
          </g>
        );
      })}
      {servers.map((s) => {
        const sp = srvPos.get(s.id)!;
        return (
          <g key={s.id} className={`node instance ${s.status.toLowerCase()}`} data-node={`instance:${s.name}`} onClick={() => navigate(`/project/instances/${s.id}`)}>
            <rect x={sp.x} y={sp.y} width={INST_W} height={44} rx={6} />
            <text x={sp.x + 10} y={sp.y + 19} className="name">▣ {s.name.length > 14 ? `${s.name.slice(0, 13)}…` : s.name}</text>
            <text x={sp.x + 10} y={sp.y + 35} className="status">{s.status}</text>
          </g>
        );
      })}
    </svg>
  );
}
