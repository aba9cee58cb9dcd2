/**
 * The API extensions this service implements, and only those: clients and tempest decide what
 * to use (and what to test) from this list, so every alias here must work end to end.
 */
export interface Extension {
  alias: string;
  name: string;
  description: string;
  updated: string;
  links: never[];
}

const x = (alias: string, name: string, description: string, updated: string): Extension => ({ alias, name, description, updated, links: [] });

export const EXTENSIONS: Extension[] = [
  x('agent', 'agent', 'The agent management extension.', '2013-02-03T10:00:00-00:00'),
  x('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs', '2013-07-23T10:00:00-00:00'),
  x('auto-allocated-topology', 'Auto Allocated Topology Services', 'Auto Allocated Topology Services.', '2016-01-01T00:00:00-00:00'),
  x('availability_zone', 'Availability Zone', 'The availability zone extension.', '2015-01-01T10:00:00-00:00'),
  x('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application', '2014-02-03T10:00:00-00:00'),
  x('default-subnetpools', 'Default Subnetpools', 'Provides ability to mark and use a subnetpool as the default.', '2016-02-18T18:00:00-00:00'),
  x('dhcp_agent_scheduler', 'DHCP Agent Scheduler', 'Schedule networks among dhcp agents', '2013-02-07T10:00:00-00:00'),
  x('dns-integration', 'DNS Integration', 'Provides integration with DNS.', '2015-08-15T18:00:00-00:00'),
  x('dvr', 'Distributed Virtual Router', 'Enables configuration of Distributed Virtual Routers.', '2014-06-01T10:00:00-00:00'),
  x('external-net', 'Neutron external network', 'Adds external network attribute to network resource.', '2013-01-14T10:00:00-00:00'),
  x('ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway', '2013-03-28T10:00:00-00:00'),
  x('extra_dhcp_opt', 'Neutron Extra DHCP options', 'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)', '2013-03-17T12:00:00-00:00'),
  x('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router', '2013-02-01T10:00:00-00:00'),
  x('fip-port-details', 'Floating IP Port Details Extension', 'Add port_details attribute to Floating IP resource', '2018-04-09T10:00:00-00:00'),
  x('ip-substring-filtering', 'IP address substring filtering', 'Provides IP address substring filtering when listing ports', '2017-11-28T09:00:00-00:00'),
  x('l3-ha', 'HA Router extension', 'Adds HA capability to routers.', '2014-04-26T00:00:00-00:00'),
  x('l3_agent_scheduler', 'L3 Agent Scheduler', 'Schedule routers among l3 agents', '2013-02-07T10:00:00-00:00'),
  x('metering', 'Neutron Metering', 'Neutron Metering extension.', '2013-06-12T10:00:00-00:00'),
  x('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.', '2015-03-25T10:00:00-00:00'),
  x('net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.', '2017-07-12T00:00:00-00:00'),
  x('network-ip-availability', 'Network IP Availability', 'Provides IP availability data for each network and subnet.', '2015-09-24T00:00:00-00:00'),
  x('network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.', '2015-01-01T10:00:00-00:00'),
  x('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.', '2016-06-12T00:00:00-00:00'),
  x('port-security', 'Port Security', 'Provides port security', '2012-07-23T10:00:00-00:00'),
  x('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.', '2016-09-09T09:09:09-09:09'),
  x('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks', '2012-09-07T10:00:00-00:00'),
  x('quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project', '2017-02-10T10:00:00-00:00'),
  x('quotas', 'Quota management support', 'Expose functions for quotas management per tenant', '2012-07-29T10:00:00-00:00'),
  x('revision-if-match', 'If-Match constraints based on revision_number', 'Extension indicating that If-Match based on revision_number is supported.', '2016-12-11T00:00:00-00:00'),
  x('router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.', '2012-07-20T10:00:00-00:00'),
  x('router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.', '2015-01-01T10:00:00-00:00'),
  x('security-group', 'security-group', 'The security groups extension.', '2012-10-05T10:00:00-00:00'),
  x('service-type', 'Neutron Service Type Management', 'API for retrieving service providers for Neutron advanced services', '2013-01-20T00:00:00-00:00'),
  x('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.', '2016-06-12T00:00:00-00:00'),
  x('standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes', '2016-02-10T10:00:00-00:00'),
  x('standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.', '2016-04-11T10:00:00-00:00'),
  x('standard-attr-tag', 'Tag support for resources with standard attribute: subnet, router, network, subnetpool, port, security_group, floatingip', 'Enables to set tag on resources with standard attribute.', '2017-01-01T00:00:00-00:00'),
  x('standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.', '2016-09-12T10:00:00-00:00'),
  x('stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not', '2019-11-26T09:00:00-00:00'),
  x('subnet-service-types', 'Subnet service types', 'Provides ability to set the subnet service_types field', '2016-03-15T18:00:00-00:00'),
  x('subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool', '2015-03-30T10:00:00-00:00'),
];

/** Resources listed by GET /v2.0 (name, collection). */
export const RESOURCES: [string, string][] = [
  ['network', 'networks'],
  ['subnet', 'subnets'],
  ['subnetpool', 'subnetpools'],
  ['port', 'ports'],
  ['router', 'routers'],
  ['floatingip', 'floatingips'],
  ['security_group', 'security-groups'],
  ['security_group_rule', 'security-group-rules'],
  ['quota', 'quotas'],
  ['agent', 'agents'],
  ['service_provider', 'service-providers'],
  ['availability_zone', 'availability_zones'],
  ['network_ip_availability', 'network-ip-availabilities'],
  ['auto_allocated_topology', 'auto-allocated-topology'],
  ['metering_label', 'metering/metering-labels'],
  ['metering_label_rule', 'metering/metering-label-rules'],
];
