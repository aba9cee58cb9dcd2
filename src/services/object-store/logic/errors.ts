import { StratusError } from '../../../core/errors.js';

/**
 * The object store's error catalogue. Each error has a stable `code`; each API maps codes to
 * its own wire form (Swift: status + short HTML; S3: `<Error><Code>`). The kind is the HTTP
 * status a generic renderer would use; `SWIFT_STATUS` below lists the codes whose Swift status
 * has no ErrorKind (422, 416, 411, 499).
 */
export const noSuchContainer = (name: string) => new StratusError('NotFound', `Container not found: ${name}.`, 'NoSuchContainer');
export const noSuchObject = (name: string) => new StratusError('NotFound', `Object not found: ${name}.`, 'NoSuchObject');
export const containerNotEmpty = (name: string) =>
  new StratusError('Conflict', `There was a conflict when trying to complete your request: container ${name} is not empty.`, 'ContainerNotEmpty');
export const etagMismatch = () => new StratusError('BadRequest', 'The ETag you sent does not match the MD5 of the data received.', 'EtagMismatch');
export const invalidRange = (size: number) => new StratusError('BadRequest', `The Range requested is not available (object size ${size}).`, 'InvalidRange');
export const preconditionFailed = (why = 'A precondition of the request failed.') => new StratusError('PreconditionFailed', why, 'PreconditionFailed');
export const entityTooLarge = (limit: number) => new StratusError('PayloadTooLarge', `Your request is too large; the limit is ${limit} bytes.`, 'EntityTooLarge');
export const invalidName = (why: string) => new StratusError('BadRequest', why, 'InvalidName');
export const invalidArgument = (why: string) => new StratusError('BadRequest', why, 'InvalidArgument');
export const invalidManifest = (why: string) => new StratusError('BadRequest', why, 'InvalidManifest');
export const segmentMissing = (why: string) => new StratusError('Conflict', why, 'SegmentMissing');
export const incompleteBody = (got: number, want: number) =>
  new StratusError('BadRequest', `The request body ended after ${got} of ${want} bytes.`, 'IncompleteBody');

/** Swift statuses for codes whose generic kind would give another status. */
export const SWIFT_STATUS: Record<string, number> = {
  EtagMismatch: 422,
  InvalidRange: 416,
  LengthRequired: 411,
  IncompleteBody: 499,
  InvalidName: 400,
  PreconditionFailed: 412,
};
