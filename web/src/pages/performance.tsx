// Performance explorer: one metric and statistic; its percentiles over time, its histogram
// with the rating thresholds, and a breakdown by any dimension (a row click filters by it).

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { query } from "../api";
import { type Ctx, DIMENSIONS, dimensionLabel } from "../ctx";
import { countryName, groupLabel } from "../derive";
import { formatCount, formatPercent, formatValue } from "../format";
import { RATING_COLOUR, THRESHOLDS, VITALS, metricLabel, rating } from "../ratings";
import { navigate } from "../router";
import { bucketFor, dimensionName, toDimension, withFilter } from "../state";
import type { BreakdownAnswer, BreakdownRow, DistributionAnswer, TimeSeriesAnswer } from "../types";
import { useAsync } from "../ui/async";
import { Chart } from "../ui/chart";
import { type Column, Empty, NO_DATA_HINT, RatingBadge, Section, Show, Table } from "../ui/components";

export const VALUE_METRICS = [
  ...VITALS,
  "load",
  "dom_interactive",
  "dom_content_loaded",
  "nav_dns",
  "nav_connect",
  "nav_tls",
  "nav_request",
  "nav_response",
  "request_duration",
  "long_animation_frame_duration",
];
const STATS = ["p50", "p75", "p90", "p95", "p99", "mean"];
const SERIES_STATS = ["p50", "p75", "p90", "p99"];



export function Breakdown({
  ctx,
  metric,
  stat,
  by,
  limit = 50,
  title,
  above,
}: {
  ctx: Ctx;
  metric: string;
  stat: string;
  by: string;
  limit?: number;
  title?: string;
  /** Drawn above the table from the same answer (the geography map). */
  above?: (answer: BreakdownAnswer) => ComponentChildren;
}) {
  const vital = metric in THRESHOLDS;
  const statistics = vital ? [stat, "good", "poor"] : [stat];
  const result = useAsync(`${ctx.key}|bd|${metric}|${stat}|${by}|${limit}`, (signal) =>
    query<BreakdownAnswer>(
      ctx.project,
      { shape: "breakdown", range: ctx.iso, filters: ctx.filters, metric, statistics, group_by: [toDimension(by)], limit },
      signal,
    ),
  );
  const columns: Array<Column<BreakdownRow>> = [
    {
      key: "group",
      label: dimensionLabel(by),
      render: (r) => (by === "country" && !r.other && r.group[0] ? countryName(r.group[0]) : groupLabel(r)),
      sort: (r) => groupLabel(r),
    },
    {
      key: "value",
      label: `${metric.toUpperCase()} ${stat}`,
      numeric: true,
      render: (r) => formatValue(metric, stat, r.values[0]),
      sort: (r) => r.values[0],
    },
  ];
  if (vital) {
    columns.push(
      { key: "rating", label: "Rating", render: (r) => <RatingBadge rating={rating(metric, r.values[0])} /> },
      { key: "good", label: "Good", numeric: true, render: (r) => formatPercent(r.values[1]), sort: (r) => r.values[1] },
      { key: "poor", label: "Poor", numeric: true, render: (r) => formatPercent(r.values[2]), sort: (r) => r.values[2] },
    );
  }
  columns.push(
    { key: "count", label: "Units (est.)", numeric: true, render: (r) => formatCount(r.count), sort: (r) => r.count },
    { key: "samples", label: "Samples", numeric: true, render: (r) => formatCount(r.samples), sort: (r) => r.samples, title: "Stored units behind the figure" },
  );
  return (
    <Section title={title ?? `${metricLabel(metric)} by ${dimensionLabel(by).toLowerCase()}`}>
      <Show result={result} what="the breakdown">
        {(answer) =>
          !answer.rows.length ? (
            <Empty>{NO_DATA_HINT}</Empty>
          ) : (
            <>
              {above?.(answer)}
              <Table
                columns={columns}
                rows={answer.rows}
                initialSort={{ key: "count", desc: true }}
                rowLabel={(r) => `Filter by ${dimensionLabel(by)} ${groupLabel(r)}`}
                onRow={(r) => {
                  if (r.other || r.group[0] === null) return;
                  navigate(withFilter(ctx.view, { dim: by, op: "eq", values: [r.group[0]] }));
                }}
              />
              <p class="muted small">
                {answer.groups} groups{answer.groups > limit ? `; the ${limit} with the most units are shown, the rest as (other)` : ""}. Click a row to
                filter by it.
              </p>
            </>
          )
        }
      </Show>
    </Section>
  );
}

export function PerformancePage({ ctx }: { ctx: Ctx }) {
  const p = ctx.view.params;
  const metric = VALUE_METRICS.includes(p.metric ?? "") ? p.metric! : "lcp";
  const stat = STATS.includes(p.stat ?? "") ? p.stat! : "p75";
  const by = p.by ?? "route";
  const bucket = bucketFor(ctx.range);
  const [attr, setAttr] = useState("");
  const [attrKind, setAttrKind] = useState<"user_attribute" | "attribute">("user_attribute");
  const set = (changes: Record<string, string>) => navigate({ ...ctx.view, params: { ...p, ...changes } });
  const series = useAsync(`${ctx.key}|ts|${metric}`, (signal) =>
    query<TimeSeriesAnswer>(
      ctx.project,
      { shape: "time_series", range: ctx.iso, filters: ctx.filters, metric, statistics: SERIES_STATS, bucket },
      signal,
    ),
  );
  const histogram = useAsync(`${ctx.key}|dist|${metric}`, (signal) =>
    query<DistributionAnswer>(ctx.project, { shape: "distribution", range: ctx.iso, filters: ctx.filters, metric }, signal),
  );
  const t = THRESHOLDS[metric];
  const known = DIMENSIONS.some(([d]) => d === by);
  return (
    <>
      <div class="toolbar">
        <label>
          Metric
          <select name="metric" value={metric} onChange={(e) => set({ metric: (e.target as HTMLSelectElement).value })}>
            {VALUE_METRICS.map((m) => (
              <option key={m} value={m}>
                {metricLabel(m)} ({m})
              </option>
            ))}
          </select>
        </label>
        <label>
          Statistic
          <select name="stat" value={stat} onChange={(e) => set({ stat: (e.target as HTMLSelectElement).value })}>
            {STATS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Break down by
          <select name="by" value={known ? by : ""} onChange={(e) => set({ by: (e.target as HTMLSelectElement).value })}>
            {!known && <option value="">{dimensionLabel(by)}</option>}
            {DIMENSIONS.map(([d, label]) => (
              <option key={d} value={d}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const k = attr.trim();
            if (k) set({ by: dimensionName(attrKind === "user_attribute" ? { user_attribute: k } : { attribute: k }) });
          }}
        >
          <label>
            or an attribute
            <span class="pair">
              <select name="attr-kind" aria-label="Attribute kind" value={attrKind} onChange={(e) => setAttrKind((e.target as HTMLSelectElement).value as "user_attribute" | "attribute")}>
                <option value="user_attribute">user</option>
                <option value="attribute">global</option>
              </select>
              <input name="attr" aria-label="Attribute key" placeholder="plan" size={10} value={attr} onInput={(e) => setAttr((e.target as HTMLInputElement).value)} />
            </span>
          </label>
        </form>
      </div>
      <Section title={`${metricLabel(metric)}: p50, p75, p90 and p99 per ${bucket}`}>
        <Show result={series} what="the time series">
          {(answer) => {
            const points = answer.series[0]?.points ?? [];
            if (!points.length) return <Empty>{NO_DATA_HINT}</Empty>;
            return (
              <Chart
                xRange={ctx.range}
                label={`${metricLabel(metric)} percentiles over time`}
                x={points.map((pt) => Date.parse(pt.time))}
                series={SERIES_STATS.map((s, i) => ({ label: s, values: points.map((pt) => pt.values[i]), dash: s !== stat && s !== "p75" }))}
                format={(v) => formatValue(metric, "p75", v)}
                thresholds={
                  t
                    ? [
                        { value: t[0], label: "good", colour: RATING_COLOUR.good },
                        { value: t[1], label: "poor", colour: RATING_COLOUR.poor },
                      ]
                    : undefined
                }
              />
            );
          }}
        </Show>
      </Section>
      <Section title={`${metricLabel(metric)}: distribution`}>
        <Show result={histogram} what="the histogram">
          {(answer) => {
            if (!answer.samples) return <Empty>{NO_DATA_HINT}</Empty>;
            const buckets = answer.buckets;
            const width = buckets.length > 1 ? buckets[1].from - buckets[0].from : 1;
            const colours = (r: string | null | undefined) => (r ? RATING_COLOUR[r as keyof typeof RATING_COLOUR] : "#56b4e9");
            // One bar series per rating, so the colours carry the rating and the legend names it.
            const ratings = t ? (["good", "needs_improvement", "poor"] as const) : ([undefined] as const);
            return (
              <>
                <Chart
                  label={`Histogram of ${metricLabel(metric)}`}
                  x={buckets.map((b) => b.from + width / 2)}
                  xFormat={(v) => formatValue(metric, "p75", v)}
                  series={ratings.map((r) => ({
                    label: r ? `share ${r.replace("_", " ")}` : "share",
                    values: buckets.map((b) => (t ? (b.rating === r ? b.share : null) : b.share)),
                    colour: colours(r),
                    bars: true,
                  }))}
                  format={(v) => formatPercent(v)}
                  xLines={t ? [{ value: t[0], label: "good ≤", colour: RATING_COLOUR.good }, { value: t[1], label: "poor >", colour: RATING_COLOUR.poor }] : undefined}
                />
                <p class="muted small">
                  {formatCount(answer.count)} units (est.) from {formatCount(answer.samples)} samples; the last bar holds everything above{" "}
                  {formatValue(metric, "p75", buckets[buckets.length - 1]?.from)}.
                </p>
              </>
            );
          }}
        </Show>
      </Section>
      <Breakdown ctx={ctx} metric={metric} stat={stat} by={by} />
    </>
  );
}
