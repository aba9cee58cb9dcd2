import { listNamespaces } from './host.js';
import { SHARED, isUp, type DriverContext } from './context.js';
import { ROUTER_TABLES, SHARED_TABLES, drift, liveFingerprint } from './fingerprint.js';
import { dev } from './names.js';
import { buildNetwork } from './networks.js';
import { buildPort } from './ports.js';
import { buildRouter, convergeRouter } from './routers.js';
import { convergeService, stopService } from './services.js';

/** The body of `LinuxNetworkDriver.repair` (see there): runs under the driver's mutex. */
export function repair(c: DriverContext): Promise<string[]> {
  return c.locked(async () => {
    const done: string[] = [];
    let links = await c.links(c.U);
    for (const n of Object.values(c.state.networks)) {
      const br = links.get(dev.bridge(n.id));
      const why = !br ? 'bridge missing' : n.adminStateUp && !isUp(br) ? 'bridge down' : null;
      if (!why) continue;
      const { zone: _zone, ...spec } = n;
      await buildNetwork(c, spec);
      done.push(`network ${n.id}: ${why}`);
    }
    if (done.length) links = await c.links(c.U);
    for (const p of Object.values(c.state.ports)) {
      const tap = links.get(dev.tap(p.id));
      const why = !tap ? 'tap missing' : tap.master !== dev.bridge(p.networkId) ? 'tap off its bridge' : p.adminStateUp && !isUp(tap) ? 'tap down' : null;
      if (!why || !c.state.networks[p.networkId]) continue;
      await buildPort(c, p);
      done.push(`port ${p.id}: ${why}`);
    }
    const namespaces = new Set(listNamespaces(c.U));
    for (const r of Object.values(c.state.routers)) {
      const legs = [...r.interfaces, ...(r.gateway ? [r.gateway] : [])];
      if (legs.some((l) => !c.state.networks[l.networkId])) continue;
      let why: string | null = null;
      if (!namespaces.has(c.routerNs(r.id))) why = 'namespace missing';
      else {
        const bad = legs.find((l) => links.get(dev.rq(l.portId))?.master !== dev.bridge(l.networkId));
        if (bad) why = `leg of port ${bad.portId} missing or off its bridge`;
        else {
          const inner = await c.links(c.routerNs(r.id));
          const gone = legs.find((l) => !inner.has(l === r.gateway ? dev.qg(l.portId) : dev.qr(l.portId)));
          if (gone) why = `inner leg of port ${gone.portId} missing`;
        }
      }
      if (!why) {
        await repairRouterTable(c, r.id, done);
        continue;
      }
      if (why === 'namespace missing') await c.settleGone(legs.map((l) => dev.rq(l.portId)));
      await buildRouter(c, r);
      done.push(`router ${r.id}: ${why}`);
    }
    for (const id of new Set([...Object.keys(c.state.dhcp), ...Object.keys(c.state.metadata)])) {
      if (!c.state.networks[id]) continue;
      const ns = c.serviceNs(id);
      let why: string | null = null;
      if (!namespaces.has(ns)) why = 'namespace missing';
      else if (links.get(dev.dh(id))?.master !== dev.bridge(id)) why = 'leg missing or off its bridge';
      else if (!(await c.links(ns)).has(dev.svc)) why = 'inner leg missing';
      if (!why) continue;
      // Its helpers still run in the namespace that was removed: start them afresh.
      if (why === 'namespace missing') {
        await stopService(c, id, false);
        await c.settleGone([dev.dh(id)]);
      }
      await convergeService(c, id);
      done.push(`dhcp/metadata of network ${id}: ${why}`);
    }
    const want = c.programmed.get(SHARED);
    const shared = want && drift(want, await liveFingerprint(c.runner, c.U, SHARED_TABLES));
    if (shared) {
      c.rendered.clear();
      await c.renderShared();
      done.push(`security-group/anti-spoofing tables: ${shared}`);
    }
    for (const d of done) c.log(`repaired ${d}`);
    return done;
  });
}

/**
 * Re-programs a router whose NAT/filter table was flushed, deleted or edited behind the driver's
 * back (its live fingerprint differs from the one read back after programming); one with no
 * fingerprint yet (first pass after a restart) is programmed once, which records it.
 */
async function repairRouterTable(c: DriverContext, id: string, done: string[]): Promise<void> {
  const want = c.programmed.get(`router:${id}`);
  const why = want ? drift(want, await liveFingerprint(c.runner, c.routerNs(id), ROUTER_TABLES)) : null;
  if (want && !why) return;
  await convergeRouter(c, id);
  if (why) done.push(`router ${id}: ${why}`);
}
