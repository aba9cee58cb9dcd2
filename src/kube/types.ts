/**
 * Shared Kubernetes wire types for the control plane (`kube/apiserver`, `kube/store`,
 * `kube/controllers`), the node agent (`kube/agent`) and the stream layer (`kube/streams`).
 * Objects stay plain JSON: each module reads the fields it needs from `spec`/`status` through
 * its own narrow types, so unknown fields survive every round trip untouched.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** Decimal string of the global store revision at the object's last write. */
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339, seconds precision, `Z`. */
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any stored object. `spec`, `status`, `data`… are left as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** metav1.Status, the body of every non-2xx answer and of channel 3 in exec streams. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code?: number;
}

/** The authenticated caller (from a client certificate CN/O or a bearer token). */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
}

/** RFC 3339 at seconds precision, as Kubernetes writes timestamps. */
export function kubeTime(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Deep copy of JSON data (objects handed out by the store must never alias its index). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
