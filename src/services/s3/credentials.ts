/**
 * What the S3 API needs from identity, and nothing more. `main.ts` adapts the identity logic
 * (Keystone EC2 credentials and role assignments) to it, so this service never imports
 * identity. Tests may pass a map-backed fake.
 */
export interface S3Credentials {
  /**
   * The secret of an access key and whose it is; undefined when no EC2 credential has that
   * access key. Rejects only on an internal failure.
   */
  lookup(accessKey: string): Promise<S3Secret | undefined>;
  /**
   * Effective role names of the user on the project, implied roles included (admin ⊃ member ⊃
   * reader); empty when the user or the project is disabled or gone.
   */
  roles(userId: string, projectId: string): Promise<string[]>;
}

export interface S3Secret {
  secret: string;
  userId: string;
  projectId: string;
}

/** The caller of one authenticated request. */
export interface Principal {
  accessKey: string;
  userId: string;
  projectId: string;
  /** The Swift account that holds this project's buckets. */
  account: string;
  canRead: boolean;
  canWrite: boolean;
}

/** S3 reads need `reader`; writes need `member` (admin implies both). */
export function accessOf(roles: string[]): { canRead: boolean; canWrite: boolean } {
  const canWrite = roles.includes('member') || roles.includes('admin');
  return { canWrite, canRead: canWrite || roles.includes('reader') };
}
