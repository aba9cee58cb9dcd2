/**
 * Domain model of the object store: accounts hold containers, containers hold objects. The
 * Swift API and the S3 API (buckets = containers of a project's account) both work on these.
 * Field names are domain-side; wire names live in the views of each API.
 */

/** Record kinds in the Store. */
export const KIND = {
  account: 'object-store.account',
  container: 'object-store.container',
  object: 'object-store.object',
  /** One entry per object with an expiry time; the sweeper's queue (Swift's expirer queue). */
  expiry: 'object-store.expiry',
} as const;

/** Namespace of object bytes in the BlobStore. */
export const BLOB_NAMESPACE = 'objects';

/** User metadata: lower-case names without the `X-<Type>-Meta-` prefix. */
export type Meta = Record<string, string>;

/** Timestamp as Swift writes it: seconds since the epoch with five decimals ("1700000000.12345"). */
export type Stamp = string;

export interface AccountRecord {
  /** The account name, e.g. `AUTH_<project id>`. */
  id: string;
  projectId: string;
  meta: Meta;
  createdAt: Stamp;
}

export interface ContainerRecord {
  /** `<account>/<container>`. */
  id: string;
  account: string;
  /** Owning project; also what listings filter on. */
  projectId: string;
  name: string;
  meta: Meta;
  readAcl: string | null;
  writeAcl: string | null;
  createdAt: Stamp;
  /** Last PUT or POST of the container itself. */
  updatedAt: Stamp;
  /** Container sync: where objects go (`//realm/cluster/account/container`) and the shared key. */
  syncTo?: string;
  syncKey?: string;
  /** Kept in the same transaction as every object write, so they match the object records. */
  objectCount: number;
  bytesUsed: number;
}

export interface SloSegment {
  container: string;
  name: string;
  etag: string;
  /** Size of the whole segment object. */
  size: number;
  contentType: string;
  lastModified: Stamp;
  /** Inclusive byte range of the segment that the manifest uses, if not all of it. */
  range?: { start: number; end: number };
  /** The segment is itself a static large object. */
  subSlo?: boolean;
}

/** A dynamic large object: the concatenation of `container` objects whose names start with `prefix`. */
export interface DloManifest {
  type: 'dlo';
  container: string;
  prefix: string;
  /** The header value as the client sent it. */
  raw: string;
}

/** A static large object: an explicit list of segments. */
export interface SloManifest {
  type: 'slo';
  segments: SloSegment[];
}

export type Manifest = DloManifest | SloManifest;

export interface ObjectRecord {
  /** `<account>/<container>/<name>`. */
  id: string;
  account: string;
  projectId: string;
  container: string;
  name: string;
  /** Blob holding the bytes; null for an empty object (and for SLO manifests). */
  blobKey: string | null;
  /** Bytes of the object as GET returns them (for an SLO, the sum of its segments). */
  size: number;
  /** Hex md5 of the stored bytes; for an SLO, md5 of the concatenated segment etags. */
  etag: string;
  contentType: string;
  timestamp: Stamp;
  meta: Meta;
  contentDisposition?: string;
  contentEncoding?: string;
  /** Epoch seconds after which the object is gone. */
  deleteAt?: number;
  manifest?: Manifest;
}

export interface ExpiryRecord {
  id: string;
  objectId: string;
  deleteAt: number;
}

/** Where an object lives. */
export interface ObjectLocation {
  account: string;
  container: string;
  name: string;
}

export const containerId = (account: string, container: string) => `${account}/${container}`;
export const objectId = (l: ObjectLocation) => `${l.account}/${l.container}/${l.name}`;
