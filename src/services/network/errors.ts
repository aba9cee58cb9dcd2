import { StratusError, type ErrorKind } from '../../core/errors.js';

/**
 * Neutron's error catalogue. The `code` of each StratusError is Neutron's exception class name,
 * which the service renders as `{"NeutronError": {"type": code, "message", "detail": ""}}`.
 * Messages follow neutron-lib's wording, because clients and tempest match on them (tempest's
 * subnet allocation retries on "overlaps with another subnet").
 */
const e = (kind: ErrorKind, type: string, message: string) => new StratusError(kind, message, type);

export const E = {
  badRequest: (resource: string, msg: string) => e('BadRequest', 'BadRequest', `Bad ${resource} request: ${msg}.`),
  invalidInput: (msg: string) => e('BadRequest', 'InvalidInput', `Invalid input for operation: ${msg}.`),
  /** Attribute validation in the API layer (wrong type, unknown value). */
  attr: (msg: string) => e('BadRequest', 'HTTPBadRequest', msg),
  notAllowed: (attr: string, verb: 'POST' | 'PUT') => e('BadRequest', 'HTTPBadRequest', `Attribute '${attr}' not allowed in ${verb}`),
  forbidden: (msg: string) => e('Forbidden', 'HTTPForbidden', msg),
  policy: (action: string) => e('Forbidden', 'PolicyNotAuthorized', `(rule:${action}) is disallowed by policy`),
  notFoundPath: () => e('NotFound', 'HTTPNotFound', 'The resource could not be found.'),
  methodNotAllowed: () => e('MethodNotAllowed', 'HTTPMethodNotAllowed', 'The method is not allowed for the requested resource.'),
  revision: (expected: number, current: number) =>
    e('PreconditionFailed', 'RevisionNumberConstraintFailed', `Constrained to ${expected}, but current revision is ${current}`),
  overQuota: (resources: string[]) => e('Conflict', 'OverQuota', `Quota exceeded for resources: [${resources.map((r) => `'${r}'`).join(', ')}].`),

  networkNotFound: (id: string) => e('NotFound', 'NetworkNotFound', `Network ${id} could not be found.`),
  subnetNotFound: (id: string) => e('NotFound', 'SubnetNotFound', `Subnet ${id} could not be found.`),
  portNotFound: (id: string) => e('NotFound', 'PortNotFound', `Port ${id} could not be found.`),
  routerNotFound: (id: string) => e('NotFound', 'RouterNotFound', `Router ${id} could not be found`),
  fipNotFound: (id: string) => e('NotFound', 'FloatingIPNotFound', `Floating IP ${id} could not be found`),
  sgNotFound: (id: string) => e('NotFound', 'SecurityGroupNotFound', `Security group ${id} does not exist`),
  sgRuleNotFound: (id: string) => e('NotFound', 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`),
  subnetpoolNotFound: (id: string) => e('NotFound', 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`),
  agentNotFound: (id: string) => e('NotFound', 'AgentNotFound', `Agent ${id} could not be found.`),
  meteringLabelNotFound: (id: string) => e('NotFound', 'MeteringLabelNotFound', `Metering label ${id} does not exist`),
  meteringRuleNotFound: (id: string) => e('NotFound', 'MeteringLabelRuleNotFound', `Metering label rule ${id} does not exist`),
  extensionNotFound: (alias: string) => e('NotFound', 'ExtensionNotFound', `Extension with alias ${alias} does not exist`),

  networkInUse: (id: string) =>
    e('Conflict', 'NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`),
  subnetInUse: (id: string, reason = 'One or more ports have an IP allocation from this subnet') =>
    e('Conflict', 'SubnetInUse', `Unable to complete operation on subnet ${id}: ${reason}.`),
  subnetpoolInUse: (id: string, reason: string) => e('Conflict', 'SubnetPoolInUse', `Unable to complete operation on subnet pool ${id}. ${reason}.`),
  portInUse: (portId: string, netId: string, deviceId: string) =>
    e('Conflict', 'PortInUse', `Unable to complete operation on port ${portId} for network ${netId}. Port already has an attached device ${deviceId}.`),
  servicePortInUse: (portId: string, owner: string) =>
    e('Conflict', 'ServicePortInUse', `Port ${portId} cannot be deleted directly via the port API: has device owner ${owner}.`),
  portBound: (portId: string, vifType: string, oldMac: string, newMac: string) =>
    e('Conflict', 'PortBound', `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`),
  macInUse: (netId: string, mac: string) =>
    e('Conflict', 'MacAddressInUse', `Unable to complete operation for network ${netId}. The mac address ${mac} is in use.`),
  ipInUse: (netId: string, ip: string) =>
    e('Conflict', 'IpAddressInUse', `Unable to complete operation for network ${netId}. The IP address ${ip} is in use.`),
  ipExhausted: (netId: string) => e('Conflict', 'IpAddressGenerationFailure', `No more IP addresses available on network ${netId}.`),
  invalidIpForNetwork: (ip: string) =>
    e('BadRequest', 'InvalidIpForNetwork', `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`),
  invalidIpForSubnet: (ip: string) => e('BadRequest', 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`),
  tunnelIdInUse: (id: number) => e('Conflict', 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${id} is in use.`),
  flatInUse: (physnet: string) =>
    e('Conflict', 'FlatNetworkInUse', `Unable to create the flat network. Physical network ${physnet} is in use.`),
  defaultExternalExists: (netId: string) =>
    e('Conflict', 'DefaultExternalNetworkExists', `Unable to set network as default external network; network ${netId} is already the default.`),
  gatewayConflict: (ip: string, pool: string) =>
    e('Conflict', 'GatewayConflictWithAllocationPools', `Gateway ip ${ip} conflicts with allocation pool ${pool}.`),
  gatewayInUse: (ip: string, portId: string) =>
    e('Conflict', 'GatewayIpInUse', `Current gateway ip ${ip} already in use by port ${portId}. Unable to update.`),

  routerInUse: (id: string, reason = 'still has ports') => e('Conflict', 'RouterInUse', `Router ${id} ${reason}`),
  routerInterfaceNotFound: (routerId: string, portId: string) =>
    e('NotFound', 'RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${portId}`),
  routerInterfaceNotFoundForSubnet: (routerId: string, subnetId: string) =>
    e('NotFound', 'RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${subnetId}`),
  routerInterfaceInUseByFip: (subnetId: string, routerId: string) =>
    e('Conflict', 'RouterInterfaceInUseByFloatingIP', `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`),
  routerInterfaceInUseByRoute: (subnetId: string, routerId: string) =>
    e('Conflict', 'RouterInterfaceInUseByRoute', `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`),
  gatewayInUseByFip: (routerId: string, netId: string) =>
    e('Conflict', 'RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${netId} is required by one or more floating IPs.`),
  invalidRoutes: (routes: string, reason: string) => e('BadRequest', 'InvalidRoutes', `Invalid format for routes: ${routes}, ${reason}.`),
  routesExhausted: (routerId: string, quota: number) =>
    e('BadRequest', 'RoutesExhausted', `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${quota}.`),
  gatewayUnreachable: (netId: string, subnetId: string, portId: string) =>
    e('NotFound', 'ExternalGatewayForFloatingIPNotFound', `External network ${netId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`),
  fipPortAlreadyAssociated: (fip: string, fipId: string, portId: string, fixed: string, netId: string) =>
    e('Conflict', 'FloatingIPPortAlreadyAssociated', `Cannot associate floating IP ${fip} (${fipId}) with port ${portId} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${netId}.`),

  sgInUse: (id: string) => e('Conflict', 'SecurityGroupInUse', `Security Group ${id} in use.`),
  sgCannotRemoveDefault: () => e('Conflict', 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.'),
  sgCannotUpdateDefault: () => e('Conflict', 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.'),
  sgDefaultExists: () => e('Conflict', 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.'),
  sgStatefulMix: () =>
    e('Conflict', 'SecurityGroupConflict', 'Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.'),
  sgRuleExists: (ruleId: string) => e('Conflict', 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${ruleId}.`),
  bad: (type: string, msg: string) => e('BadRequest', type, msg),
  notFound: (type: string, msg: string) => e('NotFound', type, msg),
  conflict: (type: string, msg: string) => e('Conflict', type, msg),
  portSecurityRequired: () =>
    e('BadRequest', 'PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.'),
  portSecurityHasGroups: () =>
    e('Conflict', 'PortSecurityPortHasSecurityGroup', 'Port has security group associated. Cannot disable port security or ip address until security group is removed'),
  pairsNeedPortSecurity: () =>
    e('Conflict', 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.'),
};
