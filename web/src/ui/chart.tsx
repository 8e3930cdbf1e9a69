// uPlot behind a small component. uPlot writes legend labels and values with textContent
// and styles through the CSSOM, so beacon strings in series names stay text and the strict
// CSP (no inline style attributes) holds.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

import { SERIES_COLOURS } from "../ratings";

export interface Series {
  label: string;
  values: Array<number | null>;
  colour?: string;
  /** Drawn as bars instead of a line. */
  bars?: boolean;
  dash?: boolean;
}

export interface Marker {
  /** epoch ms */
  time: number;
  label: string;
}

export interface Band {
  from: number;
  to: number;
  colour: string;
}

export interface ChartProps {
  /** x values: epoch ms for time charts, bucket starts otherwise. */
  x: number[];
  series: Series[];
  format: (value: number | null) => string;
  /** x is a time (default) or a plain number formatted by `xFormat`. */
  xFormat?: (value: number) => string;
  markers?: Marker[];
  /** y thresholds drawn as horizontal lines, e.g. a vital's good / poor limits. */
  thresholds?: Array<{ value: number; label: string; colour: string }>;
  /** Vertical lines at these x values (histogram thresholds). */
  xLines?: Array<{ value: number; label: string; colour: string }>;
  height?: number;
  label: string;
  /** A time chart's x axis spans this range (epoch ms) whatever the data covers. */
  xRange?: { from: number; to: number };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  // Redrawn when what it shows changes, not on every render of the page around it.
  const signature = JSON.stringify([props.x, props.series, props.markers, props.thresholds, props.xLines, props.xRange, props.height, !!props.xFormat]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const time = !props.xFormat;
    const width = Math.max(300, el.clientWidth || 600);
    const bars = uPlot.paths.bars?.({ size: [0.9, 60] });
    const draw = (u: uPlot) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      // Labels step down so that markers close together stay readable.
      for (const [i, m] of (props.markers ?? []).entries()) {
        const x = u.valToPos(time ? m.time / 1000 : m.time, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
        ctx.strokeStyle = "#555";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillStyle = "#333";
        ctx.fillText(m.label, x + 4, u.bbox.top + (12 + (i % 3) * 13) * devicePixelRatio);
      }
      for (const t of props.thresholds ?? []) {
        const y = u.valToPos(t.value, "y", true);
        if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
        ctx.strokeStyle = t.colour;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
        ctx.fillStyle = t.colour;
        ctx.fillText(t.label, u.bbox.left + 4, y - 3);
      }
      for (const t of props.xLines ?? []) {
        const x = u.valToPos(t.value, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
        ctx.strokeStyle = t.colour;
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillStyle = "#222";
        ctx.fillText(t.label, x + 4, u.bbox.top + 12 * devicePixelRatio);
      }
      ctx.restore();
    };
    const options: uPlot.Options = {
      width,
      height: props.height ?? 220,
      scales: {
        x: props.xRange ? { time, range: () => [props.xRange!.from / 1000, props.xRange!.to / 1000] } : { time },
        y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        time ? {} : { values: (_u, splits) => splits.map((v) => props.xFormat!(v)) },
        { values: (_u, splits) => splits.map((v) => props.format(v)), size: 70 },
      ],
      series: [
        { value: (_u, v) => (v === null ? "–" : time ? new Date(v * 1000).toLocaleString() : props.xFormat!(v)) },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length],
          fill: s.bars ? (s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length]) + "cc" : undefined,
          width: s.bars ? 0 : 2,
          dash: s.dash ? [6, 4] : undefined,
          paths: s.bars ? bars : undefined,
          points: { show: !s.bars && props.x.length < 3 },
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => props.format(v),
        })),
      ],
      hooks: { draw: [draw] },
      cursor: { drag: { x: false, y: false } },
    };
    const data: uPlot.AlignedData = [time ? props.x.map((t) => t / 1000) : props.x, ...props.series.map((s) => s.values)];
    plot.current = new uPlot(options, data, el);
    const resize = new ResizeObserver(() => {
      const w = Math.max(300, el.clientWidth);
      if (plot.current && Math.abs(plot.current.width - w) > 4) plot.current.setSize({ width: w, height: props.height ?? 220 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
  }, [signature]);
  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}

/** Aligns several time series (each a list of points) onto one x axis. */
export function alignSeries(lists: Array<Array<{ time: string; value: number | null }>>): { x: number[]; ys: Array<Array<number | null>> } {
  const times = new Set<number>();
  for (const list of lists) for (const p of list) times.add(Date.parse(p.time));
  const x = [...times].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const ys = lists.map((list) => {
    const y: Array<number | null> = new Array(x.length).fill(null);
    for (const p of list) y[index.get(Date.parse(p.time))!] = p.value;
    return y;
  });
  return { x, ys };
}
