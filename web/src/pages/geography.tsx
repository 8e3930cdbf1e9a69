// Geography: the chosen metric by country (on a map and in a table), region or city.

import type { Ctx } from "../ctx";
import { formatCount, formatValue } from "../format";
import { metricLabel, rating } from "../ratings";
import { navigate } from "../router";
import { Breakdown } from "../ui/breakdown";
import { MetricSelect, Select, valueMetric } from "../ui/select";
import { WorldMap } from "../ui/worldmap";

const BY = [
  ["country", "Country"],
  ["region", "Region"],
  ["city", "City"],
] as const;

export function GeographyPage({ ctx }: { ctx: Ctx }) {
  const metric = valueMetric(ctx.view.params.metric);
  const by = ctx.view.params.by === "region" || ctx.view.params.by === "city" ? ctx.view.params.by : "country";
  const set = (changes: Record<string, string>) => navigate({ ...ctx.view, params: { ...ctx.view.params, ...changes } });
  return (
    <>
      <div class="toolbar">
        <MetricSelect value={metric} onChange={(metric) => set({ metric })} />
        <Select label="By" name="by" value={by} options={BY} onChange={(by) => set({ by })} />
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
