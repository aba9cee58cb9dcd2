import type { PodStreams } from '../api.js';
import type { KubeObject } from '../types.js';

/**
 * The boundary between the node agent and whatever runs pods: the fake runtime now
 * (`fake-runtime.ts`), crun with a pod network later (#8).
 *
 * NOTE: virtual-kubelet's provider takes whole pods (`CreatePod`, `UpdatePod`) and leaves
 * restarts, back-off and init-container order to each provider. Here the split is the CRI's
 * instead: the runtime offers sandboxes and containers, and the agent owns the kubelet's
 * policy (init order, restartPolicy, CrashLoopBackOff and ImagePullBackOff timing, probes,
 * phases, status, graceful deletion). A new runtime then writes no policy at all, and every
 * runtime behaves the same in `kubectl get pods`.
 *
 * Contract, for every implementation:
 * - **Identity.** Pods are keyed by `metadata.uid`; `namespace`/`name` are kept for the
 *   streams (`PodStreams` names pods that way). A container instance has an id
 *   `<runtime>://<hex>` that is never reused; `attempt` counts the instances of one
 *   container name in one pod from 0, and is what the agent reports as `restartCount`.
 * - **Idempotent.** `runSandbox` of an existing sandbox answers the existing one;
 *   `removeSandbox` and `stopContainer` of something absent or already stopped resolve.
 *   `startContainer` always makes a new instance.
 * - **Self-reported changes.** A container that exits on its own (or is OOM-killed) changes
 *   state inside the runtime, which then calls every `onChange` listener with the pod uid. The
 *   agent then reads `sandbox(uid)`. Listeners are called asynchronously, never from inside a
 *   runtime call.
 * - **History.** The runtime keeps, per container name, the current instance and the one
 *   before (for `lastState` and `logs --previous`); older ones may be forgotten.
 *   `removeSandbox` forgets the pod entirely and releases its IP.
 * - **Failures.** Methods reject with `RuntimeError`, whose `reason` the agent shows as the
 *   container's waiting reason (`ErrImagePull`, `InvalidImageName`, `CreateContainerError`,
 *   `RunContainerError`, `CreatePodSandboxError`) and whose message says what went wrong.
 * - **Restart of the agent.** `init()` may be called again by a new agent over the same
 *   runtime; `sandboxes()` then lists what still runs, and the agent adopts those pods
 *   (restart counts and states come from here, so nothing restarts needlessly). A runtime that
 *   keeps state on disk reloads it in `init()`; one that cannot (the fake) loses everything
 *   when its process ends, and says so in its doc comment.
 * - **Streams.** `PodStreams` (logs, exec, attach, port-forward) address pods by
 *   namespace/name and reject with `KubeError` (404 for an unknown pod or container, 400 for a
 *   container that is not running when the operation needs it).
 */
export interface PodRuntime extends PodStreams {
  /** Short name: `fake`, `crun`. */
  readonly name: string;
  /** True for runtimes that run no real processes; the node reports it. */
  readonly fake: boolean;
  /** `status.nodeInfo.containerRuntimeVersion`: `fake://0.1.0`, `crun://1.8.1`. */
  readonly version: string;

  /** Prepares the runtime for one node; idempotent, also after an agent restart. */
  init(node: RuntimeNodeConfig): Promise<void>;
  /** Releases handles. Pods keep running where the runtime can (crun); the fake drops them. */
  close(): Promise<void>;

  /** Node capacity as Kubernetes quantities: `{ cpu: '2', memory: '8123456Ki', pods: '110', 'ephemeral-storage': … }`. */
  capacity(): NodeResources;

  /** Creates the pod's sandbox (network namespace, IP from the node's pod CIDR, hostname). */
  runSandbox(pod: SandboxConfig): Promise<RuntimeSandbox>;
  /** Kills every container (`graceSeconds` for each to stop), removes the sandbox, frees its IP. */
  removeSandbox(uid: string, graceSeconds: number): Promise<void>;

  /** Makes the image available. Rejects `ErrImagePull` (unknown, unreachable) or `InvalidImageName`. */
  pullImage(image: string, policy: PullPolicy): Promise<PulledImage>;
  /** Creates and starts a new instance of a container in an existing sandbox. */
  startContainer(uid: string, container: ContainerConfig): Promise<RuntimeContainer>;
  /** Stops one instance: TERM, then KILL after `graceSeconds`. Resolves once it has exited. */
  stopContainer(uid: string, containerId: string, graceSeconds: number): Promise<void>;

  /** A snapshot of one sandbox and its containers; undefined when the runtime has none. */
  sandbox(uid: string): RuntimeSandbox | undefined;
  /** Snapshots of every sandbox (for adoption and for killing orphans). */
  sandboxes(): RuntimeSandbox[];
  /**
   * Optional: replaces the files of one configMap/secret/projected volume of a running pod in
   * place (each file swapped atomically, so readers never see a half-written one), e.g. a
   * refreshed service-account token. Runtimes that mount nothing leave it out.
   */
  updateVolumeFiles?(uid: string, volume: string, files: VolumeFile[]): Promise<void>;
  /** Calls `listener(uid)` after a change the runtime made by itself. Returns an unsubscribe. */
  onChange(listener: (uid: string) => void): () => void;
}

export interface RuntimeNodeConfig {
  nodeName: string;
  /** The node's pod CIDR (`10.42.1.0/24`); sandboxes get addresses from it. */
  podCidr: string;
  log?: (msg: string) => void;
}

export interface NodeResources {
  cpu: string;
  memory: string;
  pods: string;
  'ephemeral-storage': string;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface PulledImage {
  /** What to run (`docker.io/library/busybox:latest`). */
  ref: string;
  /** `status.containerStatuses[].imageID`: `docker.io/library/busybox@sha256:…`. */
  imageID: string;
}

export interface SandboxConfig {
  uid: string;
  namespace: string;
  name: string;
  /** `spec.hostname` or the pod name. */
  hostname: string;
  /** The whole pod, for what a real runtime needs beyond this (DNS, volumes, sysctls). */
  pod: KubeObject;
  /**
   * Files of the pod's configMap, secret and projected volumes, fetched by the agent from the
   * API (volume name → files). Runtimes that mount volumes write them; the fake ignores them.
   */
  volumeFiles?: Record<string, VolumeFile[]>;
  /**
   * The pod's `persistentVolumeClaim` volumes, resolved by the agent to their bound volumes'
   * directories on this node (volume name → mount). Runtimes that mount volumes bind-mount
   * `path` (read-only when `readOnly`); the fake records them.
   */
  claimMounts?: Record<string, ClaimMount>;
}

/** A `persistentVolumeClaim` volume as the runtime mounts it. */
export interface ClaimMount {
  claimName: string;
  /** The PersistentVolume bound to the claim. */
  volumeName: string;
  /** Its directory on this node (`hostPath.path` or `local.path` of the volume). */
  path: string;
  /** The pod's `persistentVolumeClaim.readOnly` (a mount's own `readOnly` adds to it). */
  readOnly: boolean;
}

/** One file of a configMap/secret/projected volume. */
export interface VolumeFile {
  /** Relative path inside the volume (`key`, or `items[].path`). */
  path: string;
  /** Contents, base64. */
  data: string;
  /** File mode (default 0644). */
  mode?: number;
}

/** `spec.containers[].volumeMounts[]` as the runtime uses it. */
export interface VolumeMountConfig {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

/** `spec.containers[].securityContext` (and the pod's), the fields a runtime applies. */
export interface SecurityConfig {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface ContainerConfig {
  name: string;
  kind: 'init' | 'regular';
  /** As written in the pod spec. */
  image: string;
  /** From `pullImage`. */
  imageRef: string;
  imageID: string;
  command: string[];
  args: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  stdin: boolean;
  tty: boolean;
  /** 0 for the first instance of this container in the pod. */
  attempt: number;
  /** Optional extras from the pod spec, for runtimes that run real processes (the fake ignores them). */
  volumeMounts?: VolumeMountConfig[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  securityContext?: SecurityConfig;
}

export interface RuntimeContainer {
  /** `<runtime>://<hex>`, as `status.containerStatuses[].containerID`. */
  id: string;
  name: string;
  kind: 'init' | 'regular';
  attempt: number;
  image: string;
  imageID: string;
  state: 'running' | 'exited';
  /** Epoch milliseconds. */
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  /** For exited instances: `Completed` (0), `Error`, `OOMKilled`… */
  reason?: string;
  message?: string;
}

export interface RuntimeSandbox {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  createdAt: number;
  /** Per container name: the current instance last, the previous one (if any) before it. */
  containers: RuntimeContainer[];
}

/** A runtime failure; `reason` becomes the container's waiting reason. */
export class RuntimeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The newest instance of a container in a sandbox snapshot. */
export function currentInstance(sb: RuntimeSandbox | undefined, name: string): RuntimeContainer | undefined {
  let found: RuntimeContainer | undefined;
  for (const c of sb?.containers ?? []) if (c.name === name && (!found || c.attempt >= found.attempt)) found = c;
  return found;
}

/** The instance before the newest one, if the runtime still knows it. */
export function previousInstance(sb: RuntimeSandbox | undefined, name: string): RuntimeContainer | undefined {
  const cur = currentInstance(sb, name);
  let found: RuntimeContainer | undefined;
  for (const c of sb?.containers ?? []) if (c.name === name && c !== cur && (!found || c.attempt > found.attempt)) found = c;
  return found;
}
