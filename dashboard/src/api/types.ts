// The wire shapes the dashboard reads, as the public APIs return them (only the fields used).

export interface Server {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:power_state'?: number;
  flavor: { id?: string; original_name?: string };
  image: { id: string } | '';
  key_name?: string | null;
  addresses: Record<string, { addr: string; version: number; 'OS-EXT-IPS:type'?: string }[]>;
  created: string;
  fault?: { message: string };
  security_groups?: { name: string }[];
  'os-extended-volumes:volumes_attached'?: { id: string }[];
}
export interface Flavor { id: string; name: string; vcpus: number; ram: number; disk: number }
export interface Image { id: string; name: string; status: string; size?: number | null; disk_format?: string; container_format?: string; visibility: string; owner?: string; created_at: string; min_disk?: number }
export interface Keypair { name: string; fingerprint: string; public_key: string; type?: string; private_key?: string }
export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_type?: string | null;
  bootable?: string;
  created_at: string;
  attachments: { server_id: string; device?: string; attachment_id?: string }[];
}
export interface Network { id: string; name: string; status: string; subnets: string[]; shared: boolean; 'router:external': boolean; project_id: string; admin_state_up: boolean }
export interface Subnet { id: string; name: string; network_id: string; cidr: string; ip_version: number; gateway_ip: string | null; enable_dhcp: boolean }
export interface Port { id: string; name: string; network_id: string; device_id: string; device_owner: string; fixed_ips: { subnet_id: string; ip_address: string }[]; status: string; mac_address: string }
export interface Router { id: string; name: string; status: string; external_gateway_info: { network_id: string; external_fixed_ips?: { ip_address: string }[] } | null; admin_state_up: boolean }
export interface FloatingIp { id: string; floating_ip_address: string; floating_network_id: string; port_id: string | null; fixed_ip_address: string | null; status: string; router_id?: string | null }
export interface SecurityGroupRule { id: string; direction: string; ethertype: string; protocol: string | null; port_range_min: number | null; port_range_max: number | null; remote_ip_prefix: string | null; remote_group_id: string | null }
export interface SecurityGroup { id: string; name: string; description: string; security_group_rules: SecurityGroupRule[] }
export interface Project { id: string; name: string; description?: string; enabled: boolean; domain_id: string }
export interface User { id: string; name: string; email?: string; enabled: boolean; domain_id: string; default_project_id?: string }
export interface Role { id: string; name: string }
export interface RoleAssignment { role: { id: string; name?: string }; user?: { id: string; name?: string }; group?: { id: string }; scope: { project?: { id: string; name?: string }; domain?: { id: string }; system?: unknown } }
export interface SwiftContainer { name: string; count: number; bytes: number; last_modified?: string }
export interface SwiftObject { name?: string; subdir?: string; bytes?: number; content_type?: string; last_modified?: string; hash?: string }
