// Overview: the vitals at the chosen percentile with their ratings and trend, traffic,
// errors, failed requests and frustration, and time series with release markers.

import { query } from "../api";
import type { Ctx } from "../ctx";
import { releaseMarkers } from "../derive";
import { formatValue } from "../format";
import { RATING_COLOUR, THRESHOLDS, VITALS, metricLabel, rating } from "../ratings";
import { linkProps, navigate } from "../router";
import { bucketFor, previousRange, isoRange, toPage } from "../state";
import type { TimeSeriesAnswer, ValueTile, ValuesAnswer } from "../types";
import { useAsync } from "../ui/async";
import { Chart, alignSeries } from "../ui/chart";
import { Empty, NO_DATA_HINT, RatingBadge, RatingBar, Section, Show, Trend } from "../ui/components";

export const PERCENTILES = ["p50", "p75", "p90", "p95", "p99"];

const COUNTS: Array<[string, string]> = [
  ["page_views", "count"],
  ["sessions", "count"],
  ["error_rate", "rate"],
  ["errors", "count"],
  ["failed_request_rate", "rate"],
  ["rage_clicks", "count"],
  ["dead_clicks", "count"],
  ["bounce_rate", "rate"],
];

function tile(values: ValueTile[], metric: string, statistic: string): ValueTile | undefined {
  return values.find((v) => v.metric === metric && v.statistic === statistic);
}


export function OverviewPage({ ctx }: { ctx: Ctx }) {
  const stat = PERCENTILES.includes(ctx.view.params.stat ?? "") ? ctx.view.params.stat! : "p75";
  const chartMetric = (VITALS as readonly string[]).includes(ctx.view.params.chart ?? "") ? ctx.view.params.chart! : "lcp";
  const bucket = bucketFor(ctx.range);
  // At most 20 tiles a query: the vitals in one, the counts in another, both in parallel.
  const values = useAsync(`${ctx.key}|${stat}`, (signal) => {
    const ask = (tiles: Array<{ metric: string; statistic: string }>) =>
      query<ValuesAnswer>(
        ctx.project,
        { shape: "values", range: ctx.iso, filters: ctx.filters, tiles, compare: { range: isoRange(previousRange(ctx.range)) } },
        signal,
      );
    return Promise.all([
      ask(VITALS.flatMap((m) => [stat, "good", "needs_improvement", "poor"].map((s) => ({ metric: m, statistic: s })))),
      ask(COUNTS.map(([metric, statistic]) => ({ metric, statistic }))),
    ]).then(([a, b]) => ({ values: [...a.values, ...b.values] }));
  });
  const traffic = useAsync(`${ctx.key}|traffic`, (signal) =>
    query<TimeSeriesAnswer>(
      ctx.project,
      {
        shape: "time_series",
        range: ctx.iso,
        filters: ctx.filters,
        metric: "page_views",
        statistics: ["count"],
        bucket,
        group_by: "release",
        limit: 6,
      },
      signal,
    ),
  );
  const vitalSeries = useAsync(`${ctx.key}|${chartMetric}|${stat}`, (signal) =>
    query<TimeSeriesAnswer>(
      ctx.project,
      { shape: "time_series", range: ctx.iso, filters: ctx.filters, metric: chartMetric, statistics: [stat], bucket },
      signal,
    ),
  );
  const setParam = (key: string, value: string) => navigate({ ...ctx.view, params: { ...ctx.view.params, [key]: value } });
  const markers = traffic.data ? releaseMarkers(traffic.data) : [];
  return (
    <>
      <div class="toolbar">
        <label>
          Percentile
          <select name="stat" value={stat} onChange={(e) => setParam("stat", (e.target as HTMLSelectElement).value)}>
            {PERCENTILES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Show result={values} what="the overview">
        {(answer) =>
          !tile(answer.values, "page_views", "count")?.samples ? (
            <Empty>{NO_DATA_HINT}</Empty>
          ) : (
            <>
              <div class="tiles vitals">
                {VITALS.map((m) => {
                  const main = tile(answer.values, m, stat);
                  return (
                    <a key={m} class="tile vital" data-metric={m} {...linkProps(toPage(ctx.view, "performance", undefined, { metric: m, stat }))}>
                      <span class="tile-label">
                        {m.toUpperCase()} <span class="muted">{stat}</span>
                      </span>
                      <span class={`tile-value ${rating(m, main?.value) ?? ""}`}>
                        {formatValue(m, stat, main?.value)}
                      </span>
                      <RatingBadge rating={rating(m, main?.value)} />
                      <RatingBar
                        good={tile(answer.values, m, "good")?.value}
                        ni={tile(answer.values, m, "needs_improvement")?.value}
                        poor={tile(answer.values, m, "poor")?.value}
                      />
                      <Trend comparison={main?.comparison} />
                      <span class="muted small">{main?.samples ?? 0} page views measured</span>
                    </a>
                  );
                })}
              </div>
              <div class="tiles counts">
                {COUNTS.map(([m, s]) => {
                  const t = tile(answer.values, m, s);
                  const body = (
                    <>
                      <span class="tile-label">{metricLabel(m)}</span>
                      <span class="tile-value">{formatValue(m, s, t?.value)}</span>
                      <Trend comparison={t?.comparison} />
                    </>
                  );
                  // Rage clicks lead to what draws them and the sessions with them.
                  return m === "rage_clicks" ? (
                    <a key={m} class="tile count" data-metric={m} {...linkProps(toPage(ctx.view, "sessions", undefined, { rage: "1" }))}>
                      {body}
                    </a>
                  ) : (
                    <div key={m} class="tile count" data-metric={m}>
                      {body}
                    </div>
                  );
                })}
              </div>
            </>
          )
        }
      </Show>
      <Section
        title={`${metricLabel(chartMetric)} (${stat}) over time`}
        actions={
          <div class="tabs" role="group" aria-label="Vital shown">
            {VITALS.map((m) => (
              <button key={m} type="button" aria-pressed={m === chartMetric} onClick={() => setParam("chart", m)}>
                {m.toUpperCase()}
              </button>
            ))}
          </div>
        }
      >
        <Show result={vitalSeries} what="the time series">
          {(answer) => {
            const points = answer.series[0]?.points ?? [];
            if (!points.length) return <Empty>{NO_DATA_HINT}</Empty>;
            const t = THRESHOLDS[chartMetric];
            return (
              <Chart
                xRange={ctx.range}
                label={`${metricLabel(chartMetric)} ${stat} per ${bucket}`}
                x={points.map((p) => Date.parse(p.time))}
                series={[{ label: `${chartMetric.toUpperCase()} ${stat}`, values: points.map((p) => p.values[0]) }]}
                format={(v) => formatValue(chartMetric, stat, v)}
                markers={markers}
                thresholds={[
                  { value: t[0], label: "good", colour: RATING_COLOUR.good },
                  { value: t[1], label: "poor", colour: RATING_COLOUR.poor },
                ]}
              />
            );
          }}
        </Show>
      </Section>
      <Section title="Page views by release">
        <Show result={traffic} what="traffic">
          {(answer) => {
            if (!answer.series.length) return <Empty>{NO_DATA_HINT}</Empty>;
            const { x, ys } = alignSeries(answer.series.map((s) => s.points.map((p) => ({ time: p.time, value: p.count }))));
            return (
              <Chart
                xRange={ctx.range}
                label={`Page views per ${bucket}, by release`}
                x={x}
                series={answer.series.map((s, i) => ({
                  label: s.other ? "(other releases)" : (s.group ?? "(no release)"),
                  values: ys[i],
                }))}
                format={(v) => formatValue("page_views", "count", v)}
                markers={markers}
              />
            );
          }}
        </Show>
      </Section>
    </>
  );
}
