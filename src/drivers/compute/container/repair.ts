import { existsSync } from 'node:fs';
import type { DriverContext } from './context.js';
import { guestNics, linkNames, peerName, relinkPorts } from './network.js';

/** How old the copy of a guest's NIC configuration may grow before it is read again. */
const NIC_REFRESH_MS = 60_000;

/**
 * The container driver's port repair loop: `run` once, or every `resyncMs` from `schedule`
 * (after `init`) until `stop` (at `close`).
 */
export class PortRepair {
  private repairTimer: NodeJS.Timeout | null = null;
  private repairing: Promise<string[]> | null = null;

  constructor(
    private readonly ctx: DriverContext,
    readonly resyncMs: number,
  ) {}

  /**
   * Gives instances back the interfaces they lost: when the host side of a port is deleted,
   * the veth pair goes with it, and the network driver's repair re-creates the pair in the
   * underlay; this moves the new peer into the instance as `ethN` with the port's MAC and the
   * IPv4 addresses and routes the guest had configured (as a VM's NIC would have kept them).
   * Costs one `ip -json link show` in the underlay per call, plus, for each running instance,
   * one read of its NIC configuration when the copy is older than a minute (or has no address
   * yet). Resolves what it re-linked, as `<instance>/<ethN>`.
   */
  async run(): Promise<string[]> {
    const underlay = this.ctx.underlay();
    const ids = this.ctx.store.ids();
    for (const id of this.ctx.nics.keys()) if (!ids.includes(id)) this.ctx.nics.delete(id);
    if (!this.ctx.rt || !underlay || !existsSync(underlay) || !ids.length) return [];
    const done: string[] = [];
    let peers = await linkNames(underlay);
    for (const id of ids) {
      const rec = this.ctx.store.get(id);
      const ns = this.ctx.netns(id);
      if (!rec?.ports.length || !existsSync(`/run/netns/${ns}`)) continue;
      if (rec.ports.some((p) => peers.has(peerName(p.portId)))) {
        const eths = await this.ctx.lock(id).run(async () => {
          const cur = this.ctx.store.get(id);
          if (!cur) return [];
          peers = await linkNames(underlay);
          return relinkPorts(ns, cur.ports, underlay, peers, this.ctx.nics.get(id)?.nics ?? []);
        }).catch((e: Error) => {
          this.ctx.log(`instance ${id}: cannot re-link its ports (next try in ${this.resyncMs} ms): ${e.message}`);
          return [];
        });
        for (const eth of eths) {
          done.push(`${id}/${eth}`);
          this.ctx.consoleNote(id, `=== ${eth}: host side re-plugged, interface re-linked ===`);
        }
        continue;
      }
      const snap = this.ctx.nics.get(id);
      const known = snap?.nics.some((n) => n.addrs.length) ?? false;
      if (rec.desired === 'running' && (!snap || Date.now() - snap.at > (known ? NIC_REFRESH_MS : 0))) {
        const nics = await guestNics(ns);
        if (nics.some((n) => n.addrs.length) || !known) this.ctx.nics.set(id, { at: Date.now(), nics });
      }
    }
    if (done.length) this.ctx.log(`re-linked ${done.join(', ')}`);
    return done;
  }

  schedule(): void {
    if (this.resyncMs <= 0 || this.repairTimer || !this.ctx.rt) return;
    this.repairTimer = setTimeout(() => {
      const run = this.run().catch((e: Error) => {
        this.ctx.log(`port repair failed (trying again in ${this.resyncMs} ms): ${e.message}`);
        return [];
      });
      this.repairing = run;
      void run.finally(() => {
        if (this.repairing !== run) return; // closed meanwhile
        this.repairing = null;
        this.repairTimer = null;
        this.schedule();
      });
    }, this.resyncMs);
    this.repairTimer.unref();
  }

  /** Stops the loop and waits for a run under way. */
  async stop(): Promise<void> {
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.repairTimer = null;
    const running = this.repairing;
    this.repairing = null;
    await running;
  }
}
