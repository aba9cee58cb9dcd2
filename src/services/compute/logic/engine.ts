import type { ComputeContext } from './context.js';
import { PowerSync, resyncInterval } from './power-sync.js';
import type { Server, ServerTask, TaskOp } from './models.js';
import type { ServerRecords } from './servers.js';

/** Runs one task against the driver and records its outcome (handlers live in tasks/). */
export type TaskHandler = (s: Server, task: ServerTask) => Promise<void>;

/** Converges a server's block devices (attaching → attached, detaching → gone). */
export type DeviceHandler = (s: Server) => Promise<void>;

/** Recreates an instance the hypervisor lost, before any task of the server runs. */
export type RestoreHandler = (s: Server) => Promise<void>;

/**
 * The lifecycle reconciler: the API persists intent (a server's `task`, its block devices'
 * transitional states) and calls `kick(id)`; the engine then drives the ComputeDriver until
 * the record says nothing more is owed. Work on one server is serialized, work on different
 * servers runs concurrently. At start-up `resume` kicks every server that still owes work,
 * so a restart in the middle of a build or an action ends in a final state (the driver's
 * calls are idempotent, so re-running a half-done step is safe). From then on `powerSync`
 * compares the hypervisor's power states with the records every few seconds (power-sync.ts).
 */
export class Engine {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Servers whose instance the hypervisor lost (found at start-up). */
  private readonly lost = new Set<string>();
  private closed = false;
  /** The periodic power-state sync, started by `resume` (start-up) and stopped by `close`. */
  readonly powerSync: PowerSync;

  constructor(
    private readonly ctx: ComputeContext,
    private readonly servers: ServerRecords,
    private readonly handlers: Record<TaskOp, TaskHandler>,
    private readonly devices: DeviceHandler,
    /** Called when a handler throws, to record the failure on the server. */
    private readonly failed: (s: Server, task: ServerTask, err: unknown) => Promise<void>,
    private readonly restore: RestoreHandler,
    syncIntervalMs = resyncInterval(),
  ) {
    this.powerSync = new PowerSync(ctx, servers, (id) => this.running.has(id), (id) => this.kick(id), syncIntervalMs);
  }

  /** Schedules work for a server (coalesced while it is already being worked on). */
  kick(id: string): void {
    if (this.closed) return;
    if (this.running.has(id)) {
      this.again.add(id);
      return;
    }
    const p = this.loop(id).finally(() => this.running.delete(id));
    this.running.set(id, p);
  }

  private async loop(id: string): Promise<void> {
    await Promise.resolve();
    for (let rounds = 0; rounds < 1000 && !this.closed; rounds++) {
      this.again.delete(id);
      const progressed = await this.step(id).catch((e: unknown) => {
        this.ctx.log.error(`reconcile ${id}: ${(e as Error).stack ?? String(e)}`);
        return false;
      });
      if (!progressed && !this.again.has(id)) return;
    }
  }

  /** One pass over a server; true when something was done and another pass may be needed. */
  private async step(id: string): Promise<boolean> {
    const s = await this.servers.get(id);
    if (!s) return false;
    if (this.lost.delete(id)) {
      await this.restore(s);
      return true;
    }
    if (s.task) {
      const task = s.task;
      try {
        await this.handlers[task.op](s, task);
      } catch (e) {
        this.ctx.log.warn(`task ${task.op} of server ${id} failed: ${(e as Error).message ?? String(e)}`);
        await this.failed(s, task, e);
      }
      return true;
    }
    if (s.blockDevices.some((b) => b.state === 'attaching' || b.state === 'detaching')) {
      await this.devices(s);
      const after = await this.servers.get(id);
      return !!after && (after.task !== null || after.blockDevices.some((b) => b.state === 'attaching' || b.state === 'detaching'));
    }
    return false;
  }

  /**
   * Kicks every server that still owes work (start-up after a crash or a restart); servers
   * in `lost` get their instance recreated first.
   */
  async resume(lost: string[] = []): Promise<number> {
    for (const id of lost) this.lost.add(id);
    let n = 0;
    for (const s of await this.servers.all()) {
      if (this.lost.has(s.id) || s.task || s.blockDevices.some((b) => b.state === 'attaching' || b.state === 'detaching')) {
        this.kick(s.id);
        n++;
      }
    }
    this.powerSync.start();
    return n;
  }

  /** Resolves when no server is being worked on (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Stops taking work and waits up to `graceMs` for what runs; what does not finish by then
   * is abandoned and resumes at the next start, as after a crash.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    await this.powerSync.stop();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.running.values()]), grace]);
    clearTimeout(timer);
  }
}
