import { Informer, type InformerSource } from '../client/informer.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { errorResponse, respond, type PodRecordMode } from './answer.js';
import { buildIndex, type ZoneIndex } from './records.js';
import { canonicalName, decodeMessage, DnsFormatError, encodeMessage, nameToLabels, peekHeader, RCODE, type DnsMessage } from './wire.js';

export interface ZoneOptions {
  /** The cluster domain (default `cluster.local`). */
  domain?: string;
  /** TTL of every answer and of negative answers, seconds (default 5, as CoreDNS). */
  ttl?: number;
  /** Pod A records for any address (`insecure`, default) or only for existing pods. */
  pods?: PodRecordMode;
  log?: (msg: string) => void;
}

const SERVICES = findResource('', 'v1', 'services')!;
const PODS = findResource('', 'v1', 'pods')!;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

/**
 * The cluster DNS resolver: three informers (Services, EndpointSlices, Pods, all namespaces)
 * over the in-process `KubeApi` or the REST client, and an index of records rebuilt from their
 * caches (see `records.ts` for the records, `answer.ts` for the answers).
 *
 * `start()` resolves once the three caches hold their first list; until then, and after
 * `stop()`, `answerWire` answers SERVFAIL (the client retries) rather than a false NXDOMAIN.
 *
 * Freshness: a watch event that can change a record (any EndpointSlice change; a Service spec
 * change; a pod's IPs, host-network flag or existence, but not its other status churn)
 * schedules a rebuild of the whole index. Rebuilds are coalesced: the first after a quiet
 * spell runs on the next turn of the event loop, later ones wait until `max(100 ms, 5 × the
 * last build time)` after the previous build, so a large, busy cluster cannot keep the
 * process rebuilding (≤ 20% of a core). Answers therefore lag the API by at most that
 * interval plus one build (about 1 ms per 100 objects).
 */
export class ClusterZone {
  readonly domain: string;
  private readonly ttl: number;
  private readonly pods: PodRecordMode;
  private readonly log: (msg: string) => void;
  private readonly informers: [Informer, Informer, Informer];
  private current: ZoneIndex | undefined;
  private stale = true;
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private lastBuildAt = 0;
  private lastBuildMs = 0;
  private ready = false;
  private serial = Math.floor(Date.now() / 1000);
  /** Counters for diagnostics and tests. */
  readonly stats = { queries: 0, rebuilds: 0, formErrors: 0, failures: 0 };

  constructor(source: InformerSource, opts: ZoneOptions = {}) {
    this.domain = checkDomain(opts.domain ?? 'cluster.local');
    this.ttl = opts.ttl ?? 5;
    this.pods = opts.pods ?? 'insecure';
    this.log = opts.log ?? (() => undefined);
    const handlers = (relevant: (o: KubeObject) => string) => ({
      add: () => this.touch(),
      delete: () => this.touch(),
      update: (o: KubeObject, old: KubeObject) => {
        if (relevant(o) !== relevant(old)) this.touch();
      },
    });
    const informerOpts = { log: this.log };
    this.informers = [
      new Informer(source, SERVICES, undefined, informerOpts, handlers((o) => JSON.stringify(o.spec ?? null))),
      new Informer(source, SLICES, undefined, informerOpts, handlers((o) => String(o.metadata.resourceVersion))),
      new Informer(source, PODS, undefined, informerOpts, handlers(podDnsFields)),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.ready = true;
    this.rebuild();
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.cancelTimer();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** The index answers come from (built on first use; then kept current by `touch`). */
  index(): ZoneIndex {
    if (!this.current) this.rebuild();
    return this.current!;
  }

  /** Rebuilds now, whatever the schedule (tests and callers that must see a write at once). */
  rebuild(): void {
    this.cancelTimer();
    const began = performance.now();
    const [services, endpointSlices, pods] = this.informers.map((i) => i.list()) as [KubeObject[], KubeObject[], KubeObject[]];
    this.current = buildIndex(this.domain, { services, endpointSlices, pods }, { ttl: this.ttl, serial: ++this.serial });
    this.stale = false;
    this.stats.rebuilds++;
    this.lastBuildAt = performance.now();
    this.lastBuildMs = this.lastBuildAt - began;
  }

  /** Answers a decoded query (`undefined`: not a query, drop it). */
  answer(query: DnsMessage): DnsMessage | undefined {
    this.stats.queries++;
    if (!this.ready) return query.qr ? undefined : errorResponse(query, RCODE.SERVFAIL);
    return respond(this.index(), query, this.pods);
  }

  /**
   * Answers a query in wire format. Never throws: a packet that cannot be decoded gets
   * FORMERR when its header is readable (nothing otherwise), an internal failure SERVFAIL.
   */
  answerWire(packet: Buffer): Buffer | undefined {
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch (err) {
      this.stats.formErrors++;
      const h = peekHeader(packet);
      if (!h || h.qr || !(err instanceof DnsFormatError)) return undefined;
      return encodeMessage(errorResponse(h, RCODE.FORMERR));
    }
    try {
      const res = this.answer(query);
      return res && encodeMessage(res);
    } catch (err) {
      this.stats.failures++;
      this.log(`cluster DNS: answering ${query.questions[0]?.name ?? '?'} failed: ${(err as Error).message}`);
      try {
        return query.qr ? undefined : encodeMessage(errorResponse(query, RCODE.SERVFAIL));
      } catch {
        return undefined;
      }
    }
  }

  private touch(): void {
    this.stale = true;
    if (this.timer || !this.ready) return;
    const run = () => {
      this.timer = undefined;
      if (this.stale && this.ready) this.rebuild();
    };
    const wait = this.lastBuildAt + Math.max(100, 5 * this.lastBuildMs) - performance.now();
    this.timer = wait <= 0 ? setImmediate(run) : setTimeout(run, wait);
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearImmediate(this.timer as NodeJS.Immediate);
    clearTimeout(this.timer as NodeJS.Timeout);
    this.timer = undefined;
  }
}

/** What of a pod the records depend on: its addresses and whether it uses the host's network. */
function podDnsFields(pod: KubeObject): string {
  const st = (pod.status ?? {}) as { podIP?: unknown; podIPs?: unknown };
  return JSON.stringify([st.podIP, st.podIPs, (pod.spec as { hostNetwork?: unknown } | undefined)?.hostNetwork]);
}

function checkDomain(domain: string): string {
  const d = canonicalName(domain);
  try {
    if (nameToLabels(d).length === 0) throw new RangeError('empty');
  } catch (err) {
    throw new RangeError(`cluster DNS domain ${JSON.stringify(domain)} is not a valid DNS name (${(err as Error).message}); use e.g. "cluster.local"`);
  }
  return d;
}
