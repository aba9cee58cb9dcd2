/**
 * What the crun runtime needs from the node network and the image cache, typed structurally.
 *
 * NOTE: the same shapes as `PodNetwork` in `src/kube/net/pod-network.ts` and `ImageCache` /
 * `LocalImage` in `src/kube/images/index.ts` (written alongside); declared here so that this
 * runtime compiles and is tested on its own, and any implementation with these members fits.
 */

export interface PodNetworkLike {
  /** The node's network namespace path (cni0 bridge, overlay, kube-proxy rules live there). */
  readonly nodeNetns: string;
  /** Creates the pod's netns: lo up, eth0 on the node's bridge with `ip`, default route, MTU. Idempotent. Returns its path. */
  createPodNetns(uid: string, ip: string): Promise<string>;
  deletePodNetns(uid: string): Promise<void>;
  /** resolv.conf contents for pods with dnsPolicy ClusterFirst. */
  readonly dns: { nameservers: string[]; searches(namespace: string): string[]; options: string[] };
}

export interface LocalImageLike {
  ref: string;
  imageID: string;
  /** Unpacked read-only layer directories, lowest first. */
  layers: string[];
  config: { entrypoint?: string[]; cmd?: string[]; env?: string[]; workingDir?: string; user?: string };
}

export interface ImageCacheLike {
  /** Rejects with an error whose `reason` is `ErrImagePull`, `InvalidImageName` or `ErrImageNeverPull`. */
  pull(ref: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<LocalImageLike>;
}
