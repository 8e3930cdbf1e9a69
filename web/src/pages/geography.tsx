// Geography: the chosen metric by country, as a table (a map comes later).

import type { Ctx } from "../ctx";
import { metricLabel } from "../ratings";
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
      <Breakdown ctx={ctx} metric={metric} stat="p75" by={by} limit={100} />
    </>
  );
}
