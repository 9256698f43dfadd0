// One uPlot time-series chart: created once per mount, data replaced on update, width following its box.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: (number | null)[];
  color: string;
  /** Dashed reference lines: limits, thresholds, forecasts. */
  dash?: boolean;
  /** Draw across nulls (a forecast has only its two ends). */
  spanGaps?: boolean;
}

export interface ChartProps {
  title: string;
  /** Unix seconds. */
  x: number[];
  lines: Line[];
  format?: (v: number) => string;
  yRange?: [number, number];
  height?: number;
}

/** Axis labels as local wall-clock time (uPlot's default adds the date to every few ticks). */
const clock = (t: number, seconds: boolean) =>
  new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });

function options(p: ChartProps, width: number): uPlot.Options {
  const fmt = p.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  return {
    title: p.title,
    width,
    height: p.height ?? 180,
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: {
      x: { time: true },
      y: p.yRange ? { range: p.yRange } : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { space: 80, values: (_u, ticks, _axis, _space, incr) => ticks.map((t) => clock(t, incr < 60)) },
      { size: 70, values: (_u, ticks) => ticks.map(fmt) },
    ],
    series: [
      {},
      ...p.lines.map((l) => ({
        label: l.label,
        stroke: l.color,
        width: l.dash ? 1.5 : 2,
        dash: l.dash ? [6, 4] : undefined,
        spanGaps: l.spanGaps ?? false,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v == null ? '–' : fmt(v)),
      })),
    ],
  };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.title}|${props.lines.map((l) => l.label).join(',')}`;
  const data: uPlot.AlignedData = [props.x, ...props.lines.map((l) => l.values)];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(options(props, Math.max(el.clientWidth, 200)), data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 200), height: props.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of lines changes; data updates go through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div class="chart" ref={box} data-chart={props.title} />;
}
