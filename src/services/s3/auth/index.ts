import { accountOfProject } from '../../object-store/logic/index.js';
import { accessOf, type Principal, type S3Credentials } from '../credentials.js';
import { accessDenied, unsupportedAuth } from '../errors.js';
import { authenticateHeader } from './header.js';
import { authenticateQuery, isPresigned } from './presign.js';
import { headerOf, type PayloadAuth, type SignedRequest } from './request.js';
import { ALGORITHM } from './sigv4.js';

export type { PayloadAuth, ChunkSigning, SignedRequest } from './request.js';

/**
 * Authenticates an S3 request: SigV4 in the Authorization header or in the query (presigned
 * URL), checked against the EC2 credential of the access key; then the user's roles on the
 * credential's project. Anonymous requests and other signature versions are refused.
 *
 * Throws S3Errors: AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
 * AuthorizationHeaderMalformed, AuthorizationQueryParametersError, RequestTimeTooSkewed,
 * InvalidRequest (unsupported mechanism or missing x-amz-content-sha256).
 */
export async function authenticate(r: SignedRequest, creds: S3Credentials, now: number): Promise<{ principal: Principal; payload: PayloadAuth }> {
  const authorization = headerOf(r, 'authorization');
  let result;
  if (authorization !== undefined) {
    if (isPresigned(r)) throw accessDenied('Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified');
    if (!authorization.startsWith(`${ALGORITHM} `)) throw unsupportedAuth();
    result = await authenticateHeader(r, creds, now);
  } else if (isPresigned(r)) {
    result = await authenticateQuery(r, creds, now);
  } else if (r.query.some(([k]) => k === 'AWSAccessKeyId' || k === 'Signature')) {
    throw unsupportedAuth();
  } else {
    throw accessDenied('Anonymous access is not allowed; sign the request with an EC2 credential (AWS Signature Version 4).');
  }
  const { owner } = result.verified;
  const roles = await creds.roles(owner.userId, owner.projectId);
  const principal: Principal = {
    accessKey: result.verified.scope.accessKey,
    userId: owner.userId,
    projectId: owner.projectId,
    account: accountOfProject(owner.projectId),
    ...accessOf(roles),
  };
  if (!principal.canRead) throw accessDenied();
  return { principal, payload: result.payload };
}
