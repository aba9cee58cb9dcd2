import { spawn, type ChildProcess } from 'node:child_process';
import { inNetns } from './exec.js';
import { processStartTime, type Inventory } from './inventory.js';

export interface ProcessSpec {
  argv: string[];
  /** Network namespace to run in (through nsenter); absent = the caller's namespace. */
  netns?: string;
  /** Resolve `start` only once this text appears on stdout or stderr (default: at spawn). */
  readyText?: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

interface Managed {
  spec: ProcessSpec;
  child: ChildProcess | null;
  stopping: boolean;
  restarts: number;
  timer: NodeJS.Timeout | null;
  tail: string[];
}

const READY_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * Runs helper daemons (dnsmasq, metadata proxies) by key: started by PID, recorded in the
 * inventory, restarted with backoff when they die, stopped on `stop`/`stopAll`.
 *
 * Each child runs under `setpriv --pdeathsig KILL`, so it dies with this process even after a
 * `kill -9`, and in its own process group, so a Ctrl-C in the terminal reaches only Stratus,
 * which then stops its children in order.
 */
export class Supervisor {
  private readonly procs = new Map<string, Managed>();
  private closed = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly log: (msg: string) => void,
    private readonly owner: string,
  ) {}

  /** True when `key` is managed (running or about to be restarted). */
  has(key: string): boolean {
    return this.procs.has(key);
  }

  pid(key: string): number | undefined {
    return this.procs.get(key)?.child?.pid;
  }

  /** Same argv as running → no-op; different → restart; absent → start. Resolves when ready. */
  async ensure(key: string, spec: ProcessSpec): Promise<number> {
    const m = this.procs.get(key);
    if (m && m.child && JSON.stringify(m.spec) === JSON.stringify(spec)) return m.child.pid!;
    if (m) await this.stop(key);
    if (this.closed) throw new Error(`supervisor closed; not starting ${key}`);
    const entry: Managed = { spec, child: null, stopping: false, restarts: 0, timer: null, tail: [] };
    this.procs.set(key, entry);
    return this.launch(key, entry);
  }

  private launch(key: string, m: Managed): Promise<number> {
    const argv = ['setpriv', '--pdeathsig', 'KILL', ...(m.spec.netns ? inNetns(m.spec.netns, m.spec.argv) : m.spec.argv)];
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...m.spec.env } });
    m.child = child;
    return new Promise<number>((resolve, reject) => {
      let ready = !m.spec.readyText;
      const timer = m.spec.readyText
        ? setTimeout(() => {
            if (!ready) reject(new Error(`${key} did not report ready within ${READY_TIMEOUT_MS} ms: ${m.tail.join(' | ')}`));
          }, READY_TIMEOUT_MS)
        : null;
      const onData = (b: Buffer) => {
        const text = b.toString();
        for (const line of text.split('\n')) if (line.trim()) m.tail.push(line.trim());
        if (m.tail.length > 20) m.tail.splice(0, m.tail.length - 20);
        if (!ready && m.spec.readyText && text.includes(m.spec.readyText)) {
          ready = true;
          if (timer) clearTimeout(timer);
          resolve(child.pid!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('spawn', () => {
        const pid = child.pid!;
        this.inventory.record({ kind: 'pid', key: String(pid), startTime: processStartTime(pid), note: `${key}: ${m.spec.argv[0]}`, owner: this.owner });
        if (ready) resolve(pid);
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new Error(`cannot start ${key} (${argv.join(' ')}): ${e.message}`));
      });
      child.on('exit', (code, signal) => {
        if (child.pid) this.inventory.forget('pid', String(child.pid));
        if (timer) clearTimeout(timer);
        if (m.child === child) m.child = null;
        if (!ready) {
          ready = true;
          reject(new Error(`${key} exited at start (${signal ?? code}): ${m.tail.join(' | ') || 'no output'}`));
          return;
        }
        if (m.stopping || this.closed || this.procs.get(key) !== m) return;
        const delay = Math.min(MAX_BACKOFF_MS, 200 * 2 ** m.restarts++);
        this.log(`${key} (pid ${child.pid}) exited (${signal ?? code}); restarting in ${delay} ms. Last output: ${m.tail.slice(-3).join(' | ')}`);
        m.timer = setTimeout(() => {
          m.timer = null;
          if (m.stopping || this.closed) return;
          this.launch(key, m).catch((e: Error) => this.log(`restart of ${key} failed: ${e.message}`));
        }, delay);
      });
    });
  }

  /** Sends a signal (e.g. SIGHUP to reload) to the running process of `key`; false if none. */
  signal(key: string, sig: NodeJS.Signals): boolean {
    const pid = this.procs.get(key)?.child?.pid;
    if (!pid) return false;
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(key: string, graceMs = 2_000): Promise<void> {
    const m = this.procs.get(key);
    if (!m) return;
    this.procs.delete(key);
    m.stopping = true;
    if (m.timer) clearTimeout(m.timer);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.procs.keys()].map((k) => this.stop(k)));
  }

  /** Keys managed now. */
  keys(): string[] {
    return [...this.procs.keys()];
  }
}
