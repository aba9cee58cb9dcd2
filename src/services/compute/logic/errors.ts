import { StratusError } from '../../../core/errors.js';

/** Nova's error catalogue, with its messages. The service renders them (index.ts). */
export const E = {
  serverNotFound: (id: string) => new StratusError('NotFound', `Instance ${id} could not be found.`, 'InstanceNotFound'),
  flavorNotFound: (id: string) => new StratusError('NotFound', `Flavor ${id} could not be found.`, 'FlavorNotFound'),
  keypairNotFound: (name: string, userId: string) =>
    new StratusError('NotFound', `Keypair ${name} not found for user ${userId}`, 'KeypairNotFound'),
  groupNotFound: (id: string) => new StratusError('NotFound', `Instance group ${id} could not be found.`, 'InstanceGroupNotFound'),
  actionNotFound: (id: string) => new StratusError('NotFound', `Action for request_id ${id} on instance could not be found.`, 'InstanceActionNotFound'),
  hypervisorNotFound: (id: string) => new StratusError('NotFound', `Hypervisor with ID '${id}' could not be found.`, 'ComputeHostNotFound'),
  attachmentNotFound: (volumeId: string) =>
    new StratusError('NotFound', `Volume ${volumeId} is not attached to the instance.`, 'VolumeAttachmentNotFound'),
  metadataNotFound: (key: string) => new StratusError('NotFound', `Metadata item was not found: ${key}`, 'MetadataNotFound'),

  notFound: (message: string, code = 'NotFound') => new StratusError('NotFound', message, code),
  bad: (message: string, code = 'BadRequest') => new StratusError('BadRequest', message, code),
  conflict: (message: string, code = 'Conflict') => new StratusError('Conflict', message, code),
  forbidden: (message: string, code = 'Forbidden') => new StratusError('Forbidden', message, code),

  /** 409 for an action the server's state does not allow (nova InstanceInvalidState). */
  invalidState: (attr: string, state: string, action: string, id: string) =>
    new StratusError('Conflict', `Cannot '${action}' instance ${id} while it is in ${attr} ${state}`, 'InstanceInvalidState'),
  locked: (id: string) => new StratusError('Conflict', `Instance ${id} is locked`, 'InstanceIsLocked'),
  quota: (resource: string, requested: number, used: number, allowed: number) =>
    new StratusError(
      'Forbidden',
      `Quota exceeded for ${resource}: Requested ${requested}, but already used ${used} of ${allowed} ${resource}`,
      'OverQuota',
    ),
};

/** Fault recorded on a server that no host could take. */
export const NO_VALID_HOST = {
  code: 500,
  message: 'No valid host was found. There are not enough hosts available.',
};
