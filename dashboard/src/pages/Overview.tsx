import { QuotaBar } from '../components/charts';
import { ErrorBox, Page, Spinner } from '../components/ui';
import { useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';

type Abs = Record<string, number>;
interface NetQuota {
  [k: string]: { limit: number; used: number };
}

/** Usage against quotas: compute and volume limits, network quota details. */
export function Overview() {
  const { api, session } = useApp();
  const compute = useLoad(() => api.get<{ limits: { absolute: Abs } }>('compute', '/limits').then((r) => r.limits.absolute), []);
  const volume = useLoad(() => (api.has('volume') ? api.get<{ limits: { absolute: Abs } }>('volume', '/limits').then((r) => r.limits.absolute) : Promise.resolve(undefined)), []);
  const network = useLoad(() => api.get<{ quota: NetQuota }>('network', `/quotas/${session.project.id}/details`).then((r) => r.quota), []);
  const c = compute.data;
  const v = volume.data;
  const n = network.data;
  return (
    <Page title="Overview">
      <p className="muted">
        Usage of project <strong>{session.project.name}</strong> against its quotas.
      </p>
      <div className="cards">
        <div className="card" data-card="compute">
          <h2>Compute</h2>
          {compute.error ? <ErrorBox error={compute.error} onRetry={compute.reload} /> : null}
          {!c && !compute.error && <Spinner />}
          {c && (
            <>
              <QuotaBar label="Instances" used={c.totalInstancesUsed ?? 0} limit={c.maxTotalInstances ?? -1} />
              <QuotaBar label="VCPUs" used={c.totalCoresUsed ?? 0} limit={c.maxTotalCores ?? -1} />
              <QuotaBar label="RAM" used={c.totalRAMUsed ?? 0} limit={c.maxTotalRAMSize ?? -1} unit="MiB" />
            </>
          )}
        </div>
        {api.has('volume') && (
          <div className="card" data-card="volume">
            <h2>Volumes</h2>
            {volume.error ? <ErrorBox error={volume.error} onRetry={volume.reload} /> : null}
            {!v && !volume.error && <Spinner />}
            {v && (
              <>
                <QuotaBar label="Volumes" used={v.totalVolumesUsed ?? 0} limit={v.maxTotalVolumes ?? -1} />
                <QuotaBar label="Volume storage" used={v.totalGigabytesUsed ?? 0} limit={v.maxTotalVolumeGigabytes ?? -1} unit="GiB" />
                <QuotaBar label="Snapshots" used={v.totalSnapshotsUsed ?? 0} limit={v.maxTotalSnapshots ?? -1} />
              </>
            )}
          </div>
        )}
        <div className="card" data-card="network">
          <h2>Network</h2>
          {network.error ? <ErrorBox error={network.error} onRetry={network.reload} /> : null}
          {!n && !network.error && <Spinner />}
          {n && (
            <>
              {(
                [
                  ['floatingip', 'Floating IPs'],
                  ['security_group', 'Security groups'],
                  ['security_group_rule', 'Security group rules'],
                  ['network', 'Networks'],
                  ['port', 'Ports'],
                  ['router', 'Routers'],
                ] as const
              ).map(([k, label]) => (n[k] ? <QuotaBar key={k} label={label} used={n[k].used} limit={n[k].limit} /> : null))}
            </>
          )}
        </div>
      </div>
    </Page>
  );
}
