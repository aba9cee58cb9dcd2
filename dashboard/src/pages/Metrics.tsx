import { useEffect, useState } from 'react';
import { listServers } from '../api/compute';
import { ApiError } from '../api/errors';
import { LineChart, type Series } from '../components/charts';
import { ErrorBox, Field, Page, Picker, Spinner } from '../components/ui';
import { useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';

/** Gnocchi's measures: [timestamp, granularity, value]. */
type Measure = [string, number, number];

interface Graph {
  name: string;
  unit: string;
  series: Series;
}

/** Cumulative CPU time (ns) becomes a utilisation in percent between measures. */
function cpuPercent(m: Measure[]): Series['points'] {
  const out: Series['points'] = [];
  for (let i = 1; i < m.length; i++) {
    const dt = (Date.parse(m[i]![0]) - Date.parse(m[i - 1]![0])) / 1000;
    const dv = m[i]![2] - m[i - 1]![2];
    if (dt > 0 && dv >= 0) out.push({ t: Date.parse(m[i]![0]), v: (dv / (dt * 1e9)) * 100 });
  }
  return out;
}

const UNITS: Record<string, string> = { cpu: '%', 'memory.usage': 'MB', memory: 'MB' };

/**
 * An instance's measures from the metric service (Gnocchi API): its resource's metrics, one
 * graph each, refreshed every 5 s. Shown only when the catalog lists a `metric` service.
 */
export function Metrics() {
  const { api } = useApp();
  const servers = useLoad(() => listServers(api), []);
  const [server, setServer] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 5000);
    return () => clearInterval(t);
  }, []);
  const chosen = server || servers.data?.[0]?.id || '';
  // CPU time is a counter: its `rate:mean` (ns per period) is a utilisation; a policy without
  // that aggregation gets the rate computed here from the cumulative means.
  const cpuSeries = async (url: string): Promise<Series['points']> => {
    try {
      const m = await api.get<Measure[]>('metric', `${url}&aggregation=rate:mean`);
      return m.map(([t, g, v]) => ({ t: Date.parse(t), v: (v / (g * 1e9)) * 100 }));
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 400 && e.status !== 404)) throw e;
      return cpuPercent(await api.get<Measure[]>('metric', url));
    }
  };
  const graphs = useLoad(async (): Promise<Graph[] | undefined> => {
    if (!chosen) return undefined;
    let res: { metrics: Record<string, string> };
    try {
      res = await api.get('metric', `/resource/instance/${encodeURIComponent(chosen)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [];
      throw e;
    }
    const start = new Date(Date.now() - 3600_000).toISOString();
    const names = Object.keys(res.metrics).filter((n) => n === 'cpu' || n.startsWith('memory') || n.startsWith('disk') || n.startsWith('network')).sort();
    return Promise.all(
      names.map(async (name) => {
        const url = `/metric/${res.metrics[name]}/measures?start=${encodeURIComponent(start)}`;
        const points = name === 'cpu' ? await cpuSeries(url) : (await api.get<Measure[]>('metric', url)).map(([t, , v]) => ({ t: Date.parse(t), v }));
        return { name, unit: UNITS[name] ?? '', series: { label: name === 'cpu' ? 'cpu %' : name, points } };
      }),
    );
  }, [chosen, tick]);
  return (
    <Page title="Metrics">
      {servers.error ? <ErrorBox error={servers.error} onRetry={servers.reload} /> : null}
      <Field label="Instance">
        <Picker name="server" value={chosen} onChange={setServer} items={servers.data} label={(s) => s.name} />
      </Field>
      {servers.data?.length === 0 && <p className="muted">No instances: launch one to see its measures.</p>}
      {graphs.error ? <ErrorBox error={graphs.error} onRetry={graphs.reload} /> : null}
      {chosen && !graphs.data && !graphs.error && <Spinner />}
      {graphs.data?.length === 0 && <p className="muted">The metric service has no measures for this instance yet: they start a few seconds after it becomes ACTIVE.</p>}
      <div className="cards charts">
        {graphs.data?.map((g) => (
          <div className="card" key={g.name} data-metric={g.name}>
            <h2>{g.series.label}</h2>
            <LineChart series={[g.series]} unit={g.unit} />
          </div>
        ))}
      </div>
    </Page>
  );
}
