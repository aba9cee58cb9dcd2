import type { KubeApi } from '../api.js';
import type { KubeObject } from '../types.js';
import type { EventRecorder } from './events.js';
import { isNotFound, ownerRefTo, R, type Json } from './objects.js';
import type { Expectations } from './pods.js';

/**
 * Creates and deletes the pods of a workload controller, with its events and expectations.
 * Creations go in slow-start batches (1, 2, 4, …) and stop at the first error, as upstream does,
 * so a quota or validation problem costs one failed request, not hundreds.
 */
export class PodControl {
  constructor(
    private readonly api: KubeApi,
    private readonly recorder: EventRecorder,
    private readonly expectations: Expectations,
  ) {}

  /** Pod body from a pod template, owned by `owner`; `mutate` adds per-pod fields. */
  podFromTemplate(owner: KubeObject, template: Json, mutate?: (pod: KubeObject) => void): KubeObject {
    const meta = (template.metadata as Json | undefined) ?? {};
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${owner.metadata.name}-`,
        namespace: owner.metadata.namespace,
        labels: { ...((meta.labels as Record<string, string>) ?? {}) },
        annotations: { ...((meta.annotations as Record<string, string>) ?? {}) },
        ownerReferences: [ownerRefTo(owner)],
      },
      spec: structuredClone((template.spec as Json | undefined) ?? {}),
    };
    if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = [...(meta.finalizers as string[])];
    mutate?.(pod);
    return pod;
  }

  /** Creates `count` pods (or the given bodies); returns how many were created. */
  async create(key: string, owner: KubeObject, bodies: KubeObject[]): Promise<number> {
    this.expectations.expect(key, bodies.length, []);
    let done = 0;
    let batch = 1;
    let failure: Error | undefined;
    while (done < bodies.length && !failure) {
      const slice = bodies.slice(done, done + batch);
      const results = await Promise.allSettled(slice.map((b) => this.api.create(R.pods, owner.metadata.namespace, b)));
      for (const r of results) {
        if (r.status === 'fulfilled') {
          this.recorder.normal(owner, 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
        } else {
          failure ??= r.reason as Error;
          this.expectations.observedAdd(key);
        }
      }
      done += slice.length;
      batch *= 2;
    }
    // Pods never attempted are no longer expected.
    for (let i = done; i < bodies.length; i++) this.expectations.observedAdd(key);
    if (failure) {
      this.recorder.warning(owner, 'FailedCreate', `Error creating: ${failure.message}`);
      throw failure;
    }
    return done;
  }

  async delete(key: string, owner: KubeObject, pods: KubeObject[]): Promise<void> {
    this.expectations.expect(key, 0, pods.map((p) => p.metadata.uid!));
    const results = await Promise.allSettled(pods.map((p) => this.api.delete(R.pods, p.metadata.namespace, p.metadata.name!)));
    let failure: Error | undefined;
    results.forEach((r, i) => {
      const pod = pods[i]!;
      if (r.status === 'fulfilled') {
        this.recorder.normal(owner, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } else {
        this.expectations.observedDelete(key, pod.metadata.uid!);
        if (!isNotFound(r.reason)) {
          failure ??= r.reason as Error;
          this.recorder.warning(owner, 'FailedDelete', `Error deleting: ${(r.reason as Error).message}`);
        }
      }
    });
    if (failure) throw failure;
  }
}
