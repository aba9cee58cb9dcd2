import type { ComputeLogic } from '../../compute/logic/index.js';
import type { ImageLogic } from '../../image/logic/index.js';
import { KIND as SWIFT_KIND, type ContainerRecord, type ObjectStorage } from '../../object-store/logic/index.js';
import type { BlockStorage } from '../../volume/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { CollectorSources, ServerStats } from '../logic/collector.js';

export interface SourceDeps {
  compute: ComputeLogic;
  volumes: BlockStorage;
  images: ImageLogic;
  objects: ObjectStorage;
  /** The compute driver's counters (`ComputeDriver.getStats`), when it has them. */
  stats?: (serverId: string) => Promise<ServerStats | undefined>;
  /** The identity the collector records as. */
  creator: () => Promise<Caller>;
}

/** The collector's view of the other services, through their logic classes only. */
export function collectorSources(d: SourceDeps): CollectorSources {
  return {
    creator: d.creator,
    async servers() {
      const all = await d.compute.servers.allShared();
      // Servers being deleted, or never placed, have no usage to report.
      return all
        .filter((s) => s.vmState !== 'deleted' && s.host !== null)
        .map((s) => ({
          id: s.id,
          name: s.name,
          projectId: s.projectId,
          userId: s.userId,
          flavorId: s.flavor.id,
          flavorName: s.flavor.name,
          vcpus: s.flavor.vcpus,
          ramMiB: s.flavor.ram,
          host: s.host!,
          imageId: s.imageId,
          groupId: s.groupId,
        }));
    },
    async stats(id) {
      return d.stats ? d.stats(id) : undefined;
    },
    async volumes() {
      const all = await d.volumes.volumes.repo.list();
      return all.filter((v) => v.status !== 'deleting' && v.status !== 'error_deleting').map((v) => ({ id: v.id, name: v.name, projectId: v.projectId, userId: v.userId, sizeGiB: v.size }));
    },
    async images() {
      const all = await d.images.images.repo.list();
      return all.filter((i) => i.status !== 'deleted' && i.status !== 'killed').map((i) => ({ id: i.id, name: i.name, projectId: i.owner, size: i.size, containerFormat: i.containerFormat, diskFormat: i.diskFormat }));
    },
    async accounts() {
      const byProject = new Map<string, { projectId: string; containers: number; objects: number; bytes: number }>();
      for (const r of await d.objects.ctx.store.find<ContainerRecord>(SWIFT_KIND.container, { shared: true })) {
        const c = r.data;
        let a = byProject.get(c.projectId);
        if (!a) byProject.set(c.projectId, (a = { projectId: c.projectId, containers: 0, objects: 0, bytes: 0 }));
        a.containers++;
        a.objects += c.objectCount;
        a.bytes += c.bytesUsed;
      }
      return [...byProject.values()];
    },
  };
}
