import type { Status } from './types.js';
import type { ResourceType } from './resources.js';
import { qualifiedResource } from './resources.js';

/** One field error of a 422 Invalid answer; `reason` defaults to FieldValueInvalid. */
export interface InvalidCause {
  field: string;
  message: string;
  reason?: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid';
}

/**
 * Every failure of the Kubernetes API, carried as the Status it renders to. Logic throws these;
 * the HTTP layer writes `toStatus()` with `code` as the HTTP status; the stream layer writes the
 * same Status on channel 3 or the SPDY error stream.
 */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Status['details'],
  ) {
    super(message);
  }

  toStatus(): Status {
    const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) status.details = this.details;
    return status;
  }

  static notFound(res: ResourceType, name: string): KubeError {
    return new KubeError(404, 'NotFound', `${qualifiedResource(res)} "${name}" not found`, detailsOf(res, name));
  }

  static alreadyExists(res: ResourceType, name: string): KubeError {
    return new KubeError(409, 'AlreadyExists', `${qualifiedResource(res)} "${name}" already exists`, detailsOf(res, name));
  }

  static conflict(res: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): KubeError {
    return new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(res)} "${name}": ${why}`, detailsOf(res, name));
  }

  /** 422 with field causes: `Pod "x" is invalid: spec.containers[0].image: Required value`. */
  static invalid(res: ResourceType, name: string, causes: InvalidCause[]): KubeError {
    const parts = causes.map((c) => `${c.field}: ${c.message}`);
    const text = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return new KubeError(422, 'Invalid', `${res.kind} "${name}" is invalid: ${text}`, {
      name,
      group: res.group,
      kind: res.kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    });
  }

  static badRequest(message: string): KubeError {
    return new KubeError(400, 'BadRequest', message);
  }

  static forbidden(res: ResourceType, name: string, why: string): KubeError {
    return new KubeError(403, 'Forbidden', `${qualifiedResource(res)} "${name}" is forbidden: ${why}`, detailsOf(res, name));
  }

  static methodNotAllowed(message = 'the server does not allow this method on the requested resource'): KubeError {
    return new KubeError(405, 'MethodNotAllowed', message);
  }

  static unsupportedMediaType(contentType: string): KubeError {
    return new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml (got ${contentType})`);
  }

  /** A watch or list from a resourceVersion older than the retained history. */
  static expired(requested: number, oldest: number): KubeError {
    return new KubeError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
  }

  static internal(message: string): KubeError {
    return new KubeError(500, 'InternalError', `Internal error occurred: ${message}`);
  }

  static unauthorized(): KubeError {
    return new KubeError(401, 'Unauthorized', 'Unauthorized');
  }
}

function detailsOf(res: ResourceType, name: string): Status['details'] {
  const details: Status['details'] = { name, kind: res.resource };
  if (res.group) details.group = res.group;
  return details;
}
