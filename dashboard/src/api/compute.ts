import type { Api } from './client';
import type { Flavor, FloatingIp, Image, Keypair, Network, Port, SecurityGroup, Server } from './types';

export const listServers = (api: Api) => api.get<{ servers: Server[] }>('compute', '/servers/detail').then((r) => r.servers);
export const getServer = (api: Api, id: string) => api.get<{ server: Server }>('compute', `/servers/${encodeURIComponent(id)}`).then((r) => r.server);
export const listFlavors = (api: Api) => api.get<{ flavors: Flavor[] }>('compute', '/flavors/detail').then((r) => r.flavors);
export const listKeypairs = (api: Api) => api.get<{ keypairs: { keypair: Keypair }[] }>('compute', '/os-keypairs').then((r) => r.keypairs.map((k) => k.keypair));
export const listImages = (api: Api) => api.get<{ images: Image[] }>('image', '/images?limit=200').then((r) => r.images);
export const listNetworks = (api: Api) => api.get<{ networks: Network[] }>('network', '/networks').then((r) => r.networks);
export const listPorts = (api: Api, query = '') => api.get<{ ports: Port[] }>('network', `/ports${query}`).then((r) => r.ports);
export const listSecurityGroups = (api: Api) => api.get<{ security_groups: SecurityGroup[] }>('network', '/security-groups').then((r) => r.security_groups);
export const listFloatingIps = (api: Api) => api.get<{ floatingips: FloatingIp[] }>('network', '/floatingips').then((r) => r.floatingips);

/** A server action (`os-start`, `reboot`…) through POST /servers/{id}/action. */
export const serverAction = (api: Api, id: string, body: unknown) => api.post<unknown>('compute', `/servers/${encodeURIComponent(id)}/action`, body);

/** The statuses a server leaves by itself: the lists poll while any server is in one. */
export const TRANSITIONAL = new Set(['BUILD', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'MIGRATING', 'REBUILD', 'VERIFY_RESIZE', 'DELETED']);
export const isSettling = (s: Server) => TRANSITIONAL.has(s.status) || Boolean(s['OS-EXT-STS:task_state']);

export function serverIps(s: Server): string[] {
  return Object.entries(s.addresses ?? {}).flatMap(([net, list]) => list.map((a) => `${a.addr}${a['OS-EXT-IPS:type'] === 'floating' ? ' (floating)' : ''} · ${net}`));
}

/** Associates a floating IP with the server's first port (Neutron, as Horizon does). */
export async function associateFloatingIp(api: Api, serverId: string, fipId: string): Promise<void> {
  const ports = await listPorts(api, `?device_id=${encodeURIComponent(serverId)}`);
  const port = ports[0];
  if (!port) throw new Error('The instance has no port to attach a floating IP to: it needs a NIC on a network that has a router to the external network.');
  await api.put('network', `/floatingips/${encodeURIComponent(fipId)}`, { floatingip: { port_id: port.id } });
}
