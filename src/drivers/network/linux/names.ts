import { tapName } from '../driver.js';

/** Device names of the linux driver (Linux allows 15 characters), Neutron-style where it has one. */
export const dev = {
  bridge: (networkId: string) => `brq${networkId.slice(0, 11)}`,
  /** Router leg inside the router namespace (interface / gateway). */
  qr: (portId: string) => `qr-${portId.slice(0, 11)}`,
  qg: (portId: string) => `qg-${portId.slice(0, 11)}`,
  /** Underlay end of a router leg. */
  rq: (portId: string) => `rq${portId.slice(0, 13)}`,
  /** Underlay end of a network's DHCP/metadata leg, and its name inside the service namespace. */
  dh: (networkId: string) => `dh${networkId.slice(0, 13)}`,
  svc: 'ns-dhcp',
  tap: tapName,
};

/** ifalias tags: the kernel keeps the full id of what a device belongs to. */
export const ALIAS = { net: 'stx-net:', port: 'stx-port:' };

/** Short, stable chain-name part for a port (iptables chain names allow 28 characters). */
export function portTag(portId: string): string {
  return portId.replace(/-/g, '').slice(0, 16);
}
