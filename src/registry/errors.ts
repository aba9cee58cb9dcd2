/**
 * Errors of the OCI distribution API. Each carries its spec code and HTTP status, and is
 * rendered as `{"errors":[{"code","message","detail"}]}`. Anything else thrown while serving a
 * request is a bug: it is logged and answered with a generic 500, never with a stack trace.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNSUPPORTED'
  | 'RANGE_INVALID';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    readonly status: number,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export const blobUnknown = (digest: string) => new RegistryError('BLOB_UNKNOWN', 404, `blob ${digest} is not known to this repository`, { digest });
export const manifestUnknown = (ref: string, why = 'is not known to this repository') => new RegistryError('MANIFEST_UNKNOWN', 404, `manifest ${ref} ${why}`, { reference: ref });
export const nameUnknown = (name: string) => new RegistryError('NAME_UNKNOWN', 404, `repository ${name} is not known to this registry (push an image to it first)`, { name });
export const uploadUnknown = (id: string) => new RegistryError('BLOB_UPLOAD_UNKNOWN', 404, `upload ${id} is not in progress (start one with POST /v2/<name>/blobs/uploads/)`, { uuid: id });
export const digestInvalid = (message: string, detail?: unknown) => new RegistryError('DIGEST_INVALID', 400, message, detail);
