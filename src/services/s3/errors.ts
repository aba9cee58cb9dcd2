import { toStratusError } from '../../core/errors.js';

/**
 * An S3 error: a stable S3 code (`NoSuchKey`), its HTTP status, a message, and extra elements
 * S3 puts in the `<Error>` document (`Key`, `BucketName`, `StringToSign`, …).
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

const e = (code: string, status: number, message: string, details?: Record<string, string>) => new S3Error(code, status, message, details);

// --- authentication and authorization ------------------------------------------------------
export const accessDenied = (msg = 'Access Denied') => e('AccessDenied', 403, msg);
export const invalidAccessKeyId = () => e('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.');
export const signatureDoesNotMatch = (details: Record<string, string>) =>
  e('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', details);
export const authHeaderMalformed = (why: string) => e('AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${why}`);
export const authQueryError = (why: string) => e('AuthorizationQueryParametersError', 400, why);
export const requestTimeTooSkewed = () => e('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.');
export const unsupportedAuth = () =>
  e('InvalidRequest', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');

// --- request shape ----------------------------------------------------------------------------
export const invalidArgument = (msg: string, name?: string, value?: string) =>
  e('InvalidArgument', 400, msg, name ? { ArgumentName: name, ArgumentValue: (value ?? '').slice(0, 256) } : {});
export const invalidRequest = (msg: string) => e('InvalidRequest', 400, msg);
export const invalidUri = () => e('InvalidURI', 400, "Couldn't parse the specified URI.");
export const malformedXml = () =>
  e('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.');
export const methodNotAllowed = (method: string) => e('MethodNotAllowed', 405, `The specified method is not allowed against this resource: ${method.slice(0, 16)}.`);
export const notImplemented = (what: string) => e('NotImplemented', 501, `A header or query you provided implies functionality that is not implemented: ${what}.`);
export const invalidBucketName = (name: string) => e('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: name.slice(0, 256) });
export const keyTooLong = () => e('KeyTooLongError', 400, 'Your key is too long.');
export const metadataTooLarge = (limit: number) => e('MetadataTooLarge', 400, `Your metadata headers exceed the maximum allowed metadata size of ${limit} bytes.`);

// --- bodies -------------------------------------------------------------------------------------
export const missingContentLength = () => e('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
export const entityTooLarge = (max: number) => e('EntityTooLarge', 400, `Your proposed upload exceeds the maximum allowed size of ${max} bytes.`);
export const entityTooSmall = () => e('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.');
export const incompleteBody = () => e('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
export const badDigest = (what = 'Content-MD5') => e('BadDigest', 400, `The ${what} you specified did not match what we received.`);
export const invalidDigest = () => e('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.');
export const sha256Mismatch = () => e('XAmzContentSHA256Mismatch', 400, 'The provided x-amz-content-sha256 header does not match what was computed.');
export const invalidChunk = (why: string) => e('IncompleteBody', 400, `The aws-chunked body is malformed: ${why}.`);

// --- resources ----------------------------------------------------------------------------------
export const noSuchBucket = (bucket: string) => e('NoSuchBucket', 404, 'The specified bucket does not exist.', { BucketName: bucket });
export const noSuchKey = (key: string) => e('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
export const noSuchUpload = (id: string) =>
  e('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id.slice(0, 128) });
export const bucketNotEmpty = (bucket: string) => e('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty.', { BucketName: bucket });
export const bucketAlreadyOwnedByYou = (bucket: string) =>
  e('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
export const invalidPart = (why: string) =>
  e('InvalidPart', 400, `One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. ${why}`);
export const invalidPartOrder = () => e('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.');
export const invalidRange = (size: number) => e('InvalidRange', 416, 'The requested range is not satisfiable', { ActualObjectSize: String(size) });
export const preconditionFailed = (condition: string) => e('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition });

/** Object-store logic codes and their S3 equivalents. */
const FROM_LOGIC: Record<string, (m: string) => S3Error> = {
  NoSuchContainer: (m) => e('NoSuchBucket', 404, 'The specified bucket does not exist.', { Detail: m }),
  NoSuchObject: () => e('NoSuchKey', 404, 'The specified key does not exist.'),
  ContainerNotEmpty: () => e('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty.'),
  EtagMismatch: () => badDigest(),
  InvalidRange: () => e('InvalidRange', 416, 'The requested range is not satisfiable'),
  PreconditionFailed: () => e('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'),
  EntityTooLarge: (m) => e('EntityTooLarge', 400, m),
  IncompleteBody: () => incompleteBody(),
  InvalidName: (m) => (/length/i.test(m) ? keyTooLong() : invalidArgument(m)),
  InvalidManifest: (m) => invalidPart(m),
  SegmentMissing: (m) => e('InvalidObjectState', 403, m),
};

/** Generic statuses of framework and domain errors, as S3 codes. */
const FROM_STATUS: Record<number, [string, string]> = {
  400: ['InvalidRequest', 'Bad request.'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
  405: ['MethodNotAllowed', 'The specified method is not allowed against this resource.'],
  409: ['OperationAborted', 'A conflicting conditional operation is currently in progress against this resource.'],
  411: ['MissingContentLength', 'You must provide the Content-Length HTTP header.'],
  412: ['PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'],
  413: ['EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'],
  414: ['InvalidURI', "Couldn't parse the specified URI."],
  415: ['InvalidRequest', 'Unsupported media type.'],
};

/** A request body that stopped arriving: the client went away. */
function clientGone(err: unknown): boolean {
  const x = err as { code?: string; message?: string };
  return x?.code === 'ECONNRESET' || x?.code === 'ERR_STREAM_PREMATURE_CLOSE' || x?.message === 'aborted';
}

/**
 * Any error as an S3Error, or undefined for an unexpected one (the caller logs it and answers
 * a generic InternalError). Logic errors map by code, framework 4xx by status.
 */
export function toS3Error(err: unknown): S3Error | undefined {
  if (err instanceof S3Error) return err;
  if (clientGone(err)) return incompleteBody();
  const se = toStratusError(err);
  if (!se) return undefined;
  const mapped = FROM_LOGIC[se.code];
  if (mapped) return mapped(se.message);
  const status = se.status === 413 ? 400 : se.status;
  const [code, message] = FROM_STATUS[se.status] ?? ['InvalidRequest', se.message];
  return e(code, status, se.kind === 'BadRequest' ? se.message : message);
}
