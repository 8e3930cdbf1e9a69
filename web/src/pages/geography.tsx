// Geography: the chosen metric by country (on a map and in a table), region or city.

import type { Ctx } from "../ctx";
import { formatCount, formatValue } from "../format";
import { metricLabel, rating } from "../ratings";
import { WorldMap } from "../ui/worldmap";
import { navigate } from "../router";
import { Breakdown, VALUE_METRICS } from "./performance";

export function GeographyPage({ ctx }: { ctx: Ctx }) {
  const metric = VALUE_METRICS.includes(ctx.view.params.metric ?? "") ? ctx.view.params.metric! : "lcp";
  const by = ctx.view.params.by === "region" || ctx.view.params.by === "city" ? ctx.view.params.by : "country";
  const set = (changes: Record<string, string>) => navigate({ ...ctx.view, params: { ...ctx.view.params, ...changes } });
  return (
    <>
      <div class="toolbar">
        <label>
          Metric
          <select name="metric" value={metric} onChange={(e) => set({ metric: (e.target as HTMLSelectElement).value })}>
            {VALUE_METRICS.map((m) => (
              <option key={m} value={m}>
                {metricLabel(m)}
              </option>
            ))}
          </select>
        </label>
        <label>
          By
          <select name="by" value={by} onChange={(e) => set({ by: (e.target as HTMLSelectElement).value })}>
            <option value="country">Country</option>
            <option value="region">Region</option>
            <option value="city">City</option>
          </select>
        </label>
      </div>
      <Breakdown
        ctx={ctx}
        metric={metric}
        stat="p75"
        by={by}
        limit={100}
        above={
          by === "country"
            ? (answer) => (
                <WorldMap
                  label={`${metricLabel(metric)} p75 by country`}
                  points={answer.rows
                    .filter((r) => !r.other && r.group[0])
                    .map((r) => ({
                      code: r.group[0]!,
                      units: r.count,
                      rating: rating(metric, r.values[0]),
                      text: `${formatValue(metric, "p75", r.values[0])} p75, ${formatCount(r.count)} units`,
                    }))}
                />
              )
            : undefined
        }
      />
    </>
  );
}
