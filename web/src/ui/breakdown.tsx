// One metric broken down by one dimension, as a sortable table whose row click filters by
// the row's value (the performance explorer's breakdown; the geography page draws its map
// above the same answer).

import type { ComponentChildren } from "preact";

import { query } from "../api";
import { type Ctx, dimensionLabel } from "../ctx";
import { countryName, groupLabel } from "../derive";
import { formatCount, formatPercent, formatValue } from "../format";
import { THRESHOLDS, metricLabel, rating } from "../ratings";
import { navigate } from "../router";
import { toDimension, withFilter } from "../state";
import type { BreakdownAnswer, BreakdownRow } from "../types";
import { useAsync } from "./async";
import { type Column, Empty, NO_DATA_HINT, RatingBadge, Section, Show, Table } from "./components";

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

