/** Usage against a quota; a limit of -1 means unlimited. */
export function QuotaBar(p: { label: string; used: number; limit: number; unit?: string }) {
  const unlimited = p.limit < 0;
  const pct = unlimited ? 0 : p.limit === 0 ? 100 : Math.min(100, (p.used / p.limit) * 100);
  const tone = pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : 'ok';
  const u = p.unit ? ` ${p.unit}` : '';
  return (
    <div className="quota" data-quota={p.label}>
      <div className="quota-head">
        <span>{p.label}</span>
        <span className="quota-num">
          {p.used}
          {u} of {unlimited ? 'unlimited' : `${p.limit}${u}`}
        </span>
      </div>
      <div className="quota-track" role="meter" aria-valuemin={0} aria-valuemax={unlimited ? undefined : p.limit} aria-valuenow={p.used} aria-label={p.label}>
        <div className={`quota-fill ${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export interface Series {
  label: string;
  points: { t: number; v: number }[];
}

/** A small SVG line chart over time, with min/max labels; several series share the axes. */
export function LineChart(p: { series: Series[]; unit: string; height?: number }) {
  const W = 560;
  const H = p.height ?? 180;
  const pad = { l: 60, r: 12, t: 12, b: 24 };
  const all = p.series.flatMap((s) => s.points);
  if (all.length === 0) return <div className="chart-empty">No measures in this window yet: a point appears at each period of the metric&apos;s archive policy.</div>;
  const t0 = Math.min(...all.map((x) => x.t));
  const t1 = Math.max(...all.map((x) => x.t), t0 + 1);
  const vmax = Math.max(...all.map((x) => x.v)) || 1;
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / vmax) * (H - pad.t - pad.b);
  const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea'];
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={p.series.map((s) => s.label).join(', ')}>
      <line x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} className="axis" />
      <line x1={pad.l} y1={pad.t} x2={pad.l} y2={H - pad.b} className="axis" />
      <text x={pad.l - 6} y={pad.t + 4} textAnchor="end" className="tick">{fmt(vmax)} {p.unit}</text>
      <text x={pad.l - 6} y={H - pad.b} textAnchor="end" className="tick">0</text>
      <text x={pad.l} y={H - 6} className="tick">{new Date(t0).toLocaleTimeString()}</text>
      <text x={W - pad.r} y={H - 6} textAnchor="end" className="tick">{new Date(t1).toLocaleTimeString()}</text>
      {p.series.map((s, i) => (
        <polyline key={s.label} fill="none" stroke={colors[i % colors.length]} strokeWidth={2} points={s.points.map((pt) => `${x(pt.t).toFixed(1)},${y(pt.v).toFixed(1)}`).join(' ')} />
      ))}
      {p.series.flatMap((s, i) => s.points.map((pt) => <circle key={`${s.label}-${pt.t}`} cx={x(pt.t)} cy={y(pt.v)} r={3} fill={colors[i % colors.length]} />))}
      {p.series.map((s, i) => (
        <text key={`l${s.label}`} x={W - pad.r} y={pad.t + 12 + i * 14} textAnchor="end" fill={colors[i % colors.length]} className="tick">{s.label}</text>
      ))}
    </svg>
  );
}
