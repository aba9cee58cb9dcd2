import type { Duplex, Readable, Writable } from 'node:stream';
import type { KubeList, KubeObject, Status, UserInfo, WatchEvent } from './types.js';
import type { ResourceType } from './resources.js';

/**
 * The in-process Kubernetes API: every semantic of the API server (admission defaults and
 * validation, allocation of cluster IPs and node ports, generateName, uid, generation,
 * resourceVersion and optimistic concurrency, status/scale subresources, finalizers, graceful
 * pod deletion, namespace checks, patches, list/watch with selectors and history) lives behind
 * this interface (`kube/apiserver/registry.ts` implements it over `kube/store`).
 *
 * The HTTP layer is a thin translation of URLs, query strings and content types onto it; the
 * controllers and the scheduler, which run in the API server's process, call it directly.
 * Node agents run elsewhere (inside instances, later) and use the HTTP API through
 * `kube/client`. Every method rejects with `KubeError` only.
 */
export interface KubeApi {
  get(res: ResourceType, namespace: string | undefined, name: string, opts?: GetOptions): Promise<KubeObject>;
  list(res: ResourceType, namespace: string | undefined, opts?: ListOptions): Promise<KubeList>;
  /**
   * Optional: `list` without the per-item copy (the items are frozen and shared; mutating them
   * throws). Offered by the registry for callers that only read or serialise; use it when present.
   */
  listReadOnly?(res: ResourceType, namespace: string | undefined, opts?: ListOptions): Promise<KubeList>;
  /**
   * Starts a watch. Without `resourceVersion` (or with "0") the first events are a synthetic
   * ADDED per current match; with N, every change after N is replayed from history, then live
   * events follow. N older than the retained history rejects with KubeError 410 Expired.
   * Objects that stop matching the selectors arrive as DELETED, objects that start matching as
   * ADDED. `onEvent` is called in revision order, never concurrently.
   */
  watch(res: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watch>;
  create(res: ResourceType, namespace: string | undefined, body: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** PUT. With `metadata.resourceVersion` set and stale → 409 Conflict; without, unconditional. */
  update(res: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  patch(res: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: PatchOptions): Promise<KubeObject>;
  /**
   * Returns the object as deleted (or as marked for deletion: pods with a grace period,
   * objects with finalizers, foreground deletion).
   */
  delete(res: ResourceType, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KubeObject | Status>;
  deleteCollection(res: ResourceType, namespace: string | undefined, opts?: DeleteOptions & ListOptions): Promise<KubeList>;
  /** The current global revision. */
  revision(): number;
}

/** `subresource` selects `status` or `scale` (Scale objects in and out), or `finalize` for namespaces. */
export interface GetOptions {
  subresource?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  /** The watch ends (Watch.done resolves) after this many seconds. */
  timeoutSeconds?: number;
  /** Newer clients: initial ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end`. */
  sendInitialEvents?: boolean;
}

export interface Watch {
  stop(): void;
  /** Resolves when the watch ends: stopped, timed out, or the server is closing. */
  readonly done: Promise<void>;
}

export interface WriteOptions {
  subresource?: string;
  dryRun?: boolean;
  fieldManager?: string;
  /** `Strict` rejects unknown fields with 400; `Warn`/`Ignore` accept. */
  fieldValidation?: string;
  user?: UserInfo;
  /** Filled by the API with warnings for the client (HTTP `Warning: 299` headers), e.g. pruned unknown fields. */
  warnings?: string[];
}

export type PatchType = 'strategic' | 'merge' | 'json' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

// ---------------------------------------------------------------------------------------------
// Streams: what a node agent offers for logs, exec, attach and port-forward. The API server
// terminates the client protocols (WebSocket v5/v4 channels, SPDY/3.1 plain or tunnelled) in
// `kube/streams` and reaches the node agent over the agent API (`kube/streams/agent-api.ts`);
// the agent serves that API from a `PodStreams` implementation (the fake runtime's echo
// double now, real containers later). The pod is named by namespace and name; `container` is
// already resolved to a container name by the API server.

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  previous?: boolean;
  timestamps?: boolean;
  sinceSeconds?: number;
  limitBytes?: number;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  /** argv; empty for attach. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecSession {
  /** Present when `stdin` was requested; ending it is stdin EOF. */
  stdin: Writable | null;
  stdout: Readable | null;
  /** Null with tty (stderr is merged into the terminal). */
  stderr: Readable | null;
  resize(width: number, height: number): void;
  /** Exit code of the command (attach: of the container's process, or 0 on detach). */
  readonly exit: Promise<number>;
  /** Ends the session early (client went away). */
  kill(): void;
}

export interface PodStreams {
  logs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<Readable>;
  exec(req: ExecRequest): Promise<ExecSession>;
  attach(req: ExecRequest): Promise<ExecSession>;
  /** A byte stream to `port` on the pod's network (TCP). */
  portForward(namespace: string, pod: string, port: number): Promise<Duplex>;
}
