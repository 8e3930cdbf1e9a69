// Performance explorer: one metric and statistic; its percentiles over time, its histogram
// with the rating thresholds, and a breakdown by any dimension (a row click filters by it).

import { useState } from "preact/hooks";

import { query } from "../api";
import { type Ctx, DIMENSIONS, dimensionLabel } from "../ctx";
import { formatCount, formatPercent, formatValue } from "../format";
import { RATING_COLOUR, THRESHOLDS, metricLabel } from "../ratings";
import { navigate } from "../router";
import { bucketFor, dimensionName } from "../state";
import type { DistributionAnswer, TimeSeriesAnswer } from "../types";
import { useAsync } from "../ui/async";
import { Breakdown } from "../ui/breakdown";
import { Chart } from "../ui/chart";
import { Empty, NO_DATA_HINT, Section, Show } from "../ui/components";
import { MetricSelect, Select, valueMetric } from "../ui/select";

const STATS = ["p50", "p75", "p90", "p95", "p99", "mean"];
const SERIES_STATS = ["p50", "p75", "p90", "p99"];



export function PerformancePage({ ctx }: { ctx: Ctx }) {
  const p = ctx.view.params;
  const metric = valueMetric(p.metric);
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
  return (
    <>
      <div class="toolbar">
        <MetricSelect value={metric} withIds onChange={(metric) => set({ metric })} />
        <Select label="Statistic" name="stat" value={stat} options={STATS} onChange={(stat) => set({ stat })} />
        <Select label="Break down by" name="by" value={by} options={DIMENSIONS} current={dimensionLabel(by)} onChange={(by) => set({ by })} />
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
