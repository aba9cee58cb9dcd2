import { inNetns, type Runner } from './host.js';

/**
 * The nftables tables this driver programs: in the underlay, anti-spoofing (`bridge stx_guard`)
 * and the security groups (iptables-nft's `filter` and `raw`, IPv4 and IPv6); in each router
 * namespace, its NAT and forward filter (`ip stx`).
 */
export const SHARED_TABLES = ['bridge stx_guard', 'ip filter', 'ip raw', 'ip6 filter', 'ip6 raw'];
export const ROUTER_TABLES = ['ip stx'];

/**
 * A cheap fingerprint of tables: per table (`family name`), the rule count of each chain and the
 * element count of each set or map; a table that does not exist is absent. It ignores counters
 * and handles, so traffic never changes it, while `nft flush table`, `nft delete table`,
 * `iptables -F`, a flushed map or a deleted chain all do.
 */
export type Fingerprint = Record<string, Record<string, number>>;

interface NftItem {
  table?: { family: string; name: string };
  chain?: { family: string; table: string; name: string };
  rule?: { family: string; table: string; chain: string };
  set?: { family: string; table: string; name: string; elem?: unknown[] };
  map?: { family: string; table: string; name: string; elem?: unknown[] };
}

/** The fingerprint of `tables` in the output of `nft -j list ruleset`. */
export function fingerprintOf(json: string, tables: string[]): Fingerprint {
  const wanted = new Set(tables);
  const out: Fingerprint = {};
  const items = json.trim() ? ((JSON.parse(json) as { nftables?: NftItem[] }).nftables ?? []) : [];
  const at = (family: string, table: string) => (wanted.has(`${family} ${table}`) ? (out[`${family} ${table}`] ??= {}) : null);
  for (const i of items) {
    if (i.table) at(i.table.family, i.table.name);
    else if (i.chain) {
      const t = at(i.chain.family, i.chain.table);
      if (t) t[`chain ${i.chain.name}`] ??= 0;
    } else if (i.rule) {
      const t = at(i.rule.family, i.rule.table);
      if (t) t[`chain ${i.rule.chain}`] = (t[`chain ${i.rule.chain}`] ?? 0) + 1;
    } else {
      const s = i.set ?? i.map;
      const t = s && at(s.family, s.table);
      if (t && s) t[`${i.set ? 'set' : 'map'} ${s.name}`] = s.elem?.length ?? 0;
    }
  }
  return out;
}

/** Reads the live fingerprint of `tables` in namespace `ns` (one `nft -j list ruleset`). */
export async function liveFingerprint(runner: Runner, ns: string, tables: string[]): Promise<Fingerprint> {
  const r = await runner.run({ argv: inNetns(ns, ['nft', '-j', 'list', 'ruleset']) });
  return fingerprintOf(r.stdout, tables);
}

const total = (t: Record<string, number>) => Object.entries(t).reduce((n, [k, v]) => n + (k.startsWith('chain ') ? v : 0), 0);

/**
 * Why `live` differs from `expected` (what was last programmed), in a few words per table, or
 * null when they match: `table ip stx missing`, `table ip filter changed (0 of 24 rules)`.
 */
export function drift(expected: Fingerprint, live: Fingerprint): string | null {
  const why: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const have = live[name];
    if (!have) why.push(`table ${name} missing`);
    else if (JSON.stringify(sorted(want)) !== JSON.stringify(sorted(have))) why.push(`table ${name} changed (${total(have)} of ${total(want)} rules)`);
  }
  return why.length ? why.join(', ') : null;
}

function sorted(t: Record<string, number>): [string, number][] {
  return Object.entries(t).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
