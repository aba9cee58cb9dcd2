import { undashIp } from './ip.js';
import { authorityOf, type ZoneIndex } from './records.js';
import { CLASS_ANY, CLASS_IN, canonicalName, OPCODE_QUERY, RCODE, TYPE, type DnsMessage, type Edns, type ResourceRecord } from './wire.js';

export type PodRecordMode = 'insecure' | 'verified';

/** The UDP payload size the server advertises in its OPT record (the DNS flag day 2020 value). */
export const SERVER_UDP_SIZE = 1232;
const MAX_CHAIN = 8;

/**
 * Answers one query from the zone index (pure; no I/O).
 *
 * - Not a query (QR set): `undefined`, the caller drops it.
 * - Opcode other than QUERY: NOTIMP. Not exactly one question: FORMERR. EDNS version > 0:
 *   BADVERS. Class other than IN/ANY, or zone transfers: REFUSED.
 * - Names in the cluster domain or the reverse trees: authoritative (AA) answers, TTL from the
 *   index; CNAMEs are followed inside the index; SRV answers carry the A/AAAA of their targets
 *   in the additional section. A name that exists without the asked type → NOERROR with no
 *   answer (NODATA); a name that does not exist → NXDOMAIN. Both carry the zone's SOA in the
 *   authority section (RFC 2308 negative caching).
 * - Any other name → NXDOMAIN without authority. The cluster runs offline: nothing is
 *   forwarded to the internet (DESIGN §4 containment).
 *
 * RA is set because, to pods, this server is the recursive resolver: a client that sees RA
 * clear may report "recursion not available" instead of the NXDOMAIN.
 */
export function respond(index: ZoneIndex, query: DnsMessage, pods: PodRecordMode = 'insecure'): DnsMessage | undefined {
  if (query.qr) return undefined;
  const res: DnsMessage = {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: false,
    tc: false,
    rd: query.rd,
    ra: true,
    ad: false,
    cd: query.cd,
    rcode: RCODE.NOERROR,
    questions: query.questions.slice(0, 1),
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (query.edns) res.edns = serverEdns(query.edns);
  if (query.opcode !== OPCODE_QUERY) return { ...res, questions: [], rcode: RCODE.NOTIMP };
  if (query.questions.length !== 1) return { ...res, questions: [], rcode: RCODE.FORMERR };
  if (query.edns && query.edns.version > 0) return { ...res, rcode: RCODE.BADVERS };
  const q = query.questions[0]!;
  if ((q.class !== CLASS_IN && q.class !== CLASS_ANY) || q.type === 251 || q.type === 252 || q.type === TYPE.OPT) return { ...res, rcode: RCODE.REFUSED };

  let name = canonicalName(q.name);
  const zone = authorityOf(index.domain, name);
  if (!zone) return { ...res, rcode: RCODE.NXDOMAIN };
  res.aa = true;
  for (let hops = 0; ; hops++) {
    const recs = lookup(index, name, pods);
    const wanted = q.type === TYPE.ANY ? recs : recs.filter((r) => typeNumber(r) === q.type);
    if (wanted.length) {
      res.answers.push(...wanted);
      break;
    }
    const cname = recs.find((r) => r.type === 'CNAME');
    if (cname && cname.type === 'CNAME' && q.type !== TYPE.CNAME) {
      res.answers.push(cname);
      name = cname.data;
      // Out of our zones (ExternalName to the outside): the client resolves the target itself.
      if (hops >= MAX_CHAIN || !authorityOf(index.domain, name)) break;
      continue;
    }
    if (!exists(index, name, pods)) res.rcode = RCODE.NXDOMAIN;
    res.authorities.push(soaOf(index, authorityOf(index.domain, name) ?? zone));
    break;
  }
  for (const rr of res.answers) {
    if (rr.type !== 'SRV') continue;
    for (const a of lookup(index, canonicalName(rr.data.target), pods)) {
      if ((a.type === 'A' || a.type === 'AAAA') && !res.additionals.some((x) => x.name === a.name && x.data === a.data)) res.additionals.push(a);
    }
  }
  return res;
}

/** A response with only a header and the given RCODE, for queries that could not be read. */
export function errorResponse(query: Pick<DnsMessage, 'id' | 'opcode' | 'rd'> & Partial<DnsMessage>, rcode: number): DnsMessage {
  return {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: false,
    tc: false,
    rd: query.rd,
    ra: true,
    ad: false,
    cd: false,
    rcode,
    questions: query.questions?.slice(0, 1) ?? [],
    answers: [],
    authorities: [],
    additionals: [],
    ...(query.edns ? { edns: serverEdns(query.edns) } : {}),
  };
}

function serverEdns(_client: Edns): Edns {
  // No DNSSEC here: the DO bit is not echoed; options (cookies, padding…) are not understood.
  return { udpSize: SERVER_UDP_SIZE, extendedRcode: 0, version: 0, flags: 0, options: Buffer.alloc(0) };
}

function typeNumber(rr: ResourceRecord): number {
  return rr.type === 'RAW' ? rr.code : TYPE[rr.type];
}

/** Stored records, plus the pod A/AAAA records computed from the name. */
function lookup(index: ZoneIndex, name: string, pods: PodRecordMode): ResourceRecord[] {
  const stored = index.records.get(name);
  if (stored) return stored;
  const pod = podAddress(index, name, pods);
  if (!pod) return [];
  return [{ name, class: CLASS_IN, ttl: index.ttl, type: pod.family === 4 ? 'A' : 'AAAA', data: pod.ip }];
}

/**
 * `<a-b-c-d>.<ns>.pod.<zone>` → the address. `insecure` (CoreDNS `pods insecure`, the usual
 * setting) answers any well-formed address; `verified` only addresses of pods in that namespace.
 */
export function podAddress(index: ZoneIndex, name: string, mode: PodRecordMode): { ip: string; family: 4 | 6 } | undefined {
  const suffix = `.pod.${index.domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const parts = name.slice(0, -suffix.length).split('.');
  if (parts.length !== 2) return undefined;
  const addr = undashIp(parts[0]!);
  if (!addr) return undefined;
  if (mode === 'verified' && !index.podIps.get(parts[1]!)?.has(addr.ip)) return undefined;
  return addr;
}

function exists(index: ZoneIndex, name: string, pods: PodRecordMode): boolean {
  return index.names.has(name) || podAddress(index, name, pods) !== undefined;
}

function soaOf(index: ZoneIndex, zone: string): ResourceRecord {
  return { name: zone, class: CLASS_IN, ttl: index.ttl, type: 'SOA', data: index.soa };
}
