// Releases: two releases side by side on every vital and on error rate, overall and by route.

import { query } from "../api";
import type { Ctx } from "../ctx";
import { formatChange, formatCount, formatValue } from "../format";
import { THRESHOLDS, VITALS, changeClass, metricLabel, rating } from "../ratings";
import { navigate } from "../router";
import type { ApiFilter } from "../state";
import type { BreakdownAnswer, ValuesAnswer } from "../types";
import { useAsync } from "../ui/async";
import { type Column, Empty, RatingBadge, Section, Show, Table } from "../ui/components";
import { Select } from "../ui/select";

const TILES: Array<[string, string]> = [
  ...VITALS.map((m): [string, string] => [m, "p75"]),
  ["error_rate", "rate"],
  ["failed_request_rate", "rate"],
  ["poor_vital_share", "rate"],
  ["bounce_rate", "rate"],
  ["page_views", "count"],
  ["sessions", "count"],
];

/** The change from `x` to `y` relative to `x`; none without both, or from zero. */
const relative = (x: number | null, y: number | null) => (x !== null && y !== null && x !== 0 ? (y - x) / Math.abs(x) : null);

const release = (value: string): ApiFilter => ({ dimension: "release", op: "eq", value });

export function ReleasesPage({ ctx }: { ctx: Ctx }) {
  // The filter bar's own release would contradict the two compared here.
  const filters = ctx.filters.filter((f) => f.dimension !== "release");
  const releases = useAsync(`${ctx.key}|releases`, (signal) =>
    query<BreakdownAnswer>(
      ctx.project,
      { shape: "breakdown", range: ctx.iso, filters, metric: "page_views", statistics: ["count"], group_by: ["release"], limit: 50 },
      signal,
    ).then((a) => a.rows.filter((r) => !r.other && r.group[0] !== null).map((r) => r.group[0] as string)),
  );
  const list = releases.data ?? [];
  const sorted = [...list].sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
  const b = ctx.view.params.b && list.includes(ctx.view.params.b) ? ctx.view.params.b : sorted[sorted.length - 1];
  const a = ctx.view.params.a && list.includes(ctx.view.params.a) ? ctx.view.params.a : sorted.filter((r) => r !== b).pop();
  const set = (changes: Record<string, string>) => navigate({ ...ctx.view, params: { ...ctx.view.params, a: a ?? "", b: b ?? "", ...changes } });
  const ready = a !== undefined && b !== undefined;
  const values = useAsync(`${ctx.key}|rel|${a}|${b}`, (signal) =>
    ready
      ? query<ValuesAnswer>(
          ctx.project,
          {
            shape: "values",
            range: ctx.iso,
            filters: [...filters, release(b)],
            tiles: TILES.map(([metric, statistic]) => ({ metric, statistic })),
            compare: { filters: [...filters, release(a)] },
          },
          signal,
        )
      : Promise.resolve(undefined),
  );
  const byRoute = useAsync(`${ctx.key}|relroute|${a}|${b}`, (signal) =>
    ready
      ? Promise.all(
          ["lcp", "inp", "error_rate"].map((metric) =>
            query<BreakdownAnswer>(
              ctx.project,
              {
                shape: "breakdown",
                range: ctx.iso,
                filters: [...filters, { dimension: "release", op: "in", values: [a, b] }],
                metric,
                statistics: [metric === "error_rate" ? "rate" : "p75"],
                group_by: ["route", "release"],
                limit: 100,
              },
              signal,
            ),
          ),
        )
      : Promise.resolve(undefined),
  );
  if (releases.error) return <Show result={releases}>{() => null}</Show>;
  if (!releases.data) return <Show result={releases} what="releases">{() => null}</Show>;
  if (!ready) return <Empty>Fewer than two releases sent data in this range. Widen the time range, or set a release in the agent's init options.</Empty>;
  type Row = { route: string; cells: Record<string, [number | null, number | null]>; views: number };
  const routes = new Map<string, Row>();
  (byRoute.data ?? []).forEach((answer, i) => {
    const metric = ["lcp", "inp", "error_rate"][i];
    for (const r of answer.rows) {
      if (r.other || r.group[0] === null) continue;
      const route = r.group[0];
      const row = routes.get(route) ?? { route, cells: {}, views: 0 };
      const cell = row.cells[metric] ?? [null, null];
      if (r.group[1] === a) cell[0] = r.values[0];
      if (r.group[1] === b) cell[1] = r.values[0];
      row.cells[metric] = cell;
      if (metric === "error_rate") row.views += r.count;
      routes.set(route, row);
    }
  });
  const pair = (metric: string, stat: string): Column<Row> => ({
    key: metric,
    label: `${metric === "error_rate" ? "Error rate" : metric.toUpperCase()} ${a} → ${b}`,
    numeric: true,
    render: (r) => {
      const [x, y] = r.cells[metric] ?? [null, null];
      const rel = relative(x, y);
      return (
        <>
          {formatValue(metric, stat, x)} → {formatValue(metric, stat, y)}{" "}
          <span class={`trend ${changeClass(rel === null || Math.abs(rel) < 0.005 ? null : rel < 0)}`}>{formatChange(rel)}</span>
        </>
      );
    },
    sort: (r) => relative(...(r.cells[metric] ?? [null, null])),
  });
  return (
    <>
      <div class="toolbar">
        <Select label="Baseline release" name="a" value={a} options={sorted} onChange={(a) => set({ a })} />
        <Select label="Compared release" name="b" value={b} options={sorted} onChange={(b) => set({ b })} />
      </div>
      <Section title={`Release ${a} (baseline) and ${b}`}>
        <Show result={values} what="the comparison">
          {(answer) => (
            <table class="data">
              <thead>
                <tr>
                  <th>Figure</th>
                  <th class="num">{a}</th>
                  <th class="num">{b}</th>
                  <th class="num">Change</th>
                  <th>Rating in {b}</th>
                </tr>
              </thead>
              <tbody>
                {answer!.values.map((v) => {
                  const metric = String(v.metric);
                  const stat = String(v.statistic);
                  return (
                    <tr key={metric}>
                      <td>
                        {metricLabel(metric)} <span class="muted">{stat}</span>
                      </td>
                      <td class="num">{formatValue(metric, stat, v.comparison?.baseline)}</td>
                      <td class="num">{formatValue(metric, stat, v.value)}</td>
                      <td class={`num trend ${changeClass(v.comparison?.improved)}`}>
                        {formatChange(v.comparison?.relative)}
                        {v.comparison?.improved === true ? " better" : v.comparison?.improved === false ? " worse" : ""}
                      </td>
                      <td>{metric in THRESHOLDS ? <RatingBadge rating={rating(metric, v.value)} /> : ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Show>
      </Section>
      <Section title="By route">
        <Show result={byRoute} what="routes">
          {() =>
            !routes.size ? (
              <Empty>No route has data for these releases.</Empty>
            ) : (
              <>
                <Table
                  columns={[
                    { key: "route", label: "Route", render: (r) => r.route, sort: (r) => r.route },
                    { key: "views", label: "Page views (both)", numeric: true, render: (r) => formatCount(r.views), sort: (r) => r.views },
                    pair("lcp", "p75"),
                    pair("inp", "p75"),
                    pair("error_rate", "rate"),
                  ]}
                  rows={[...routes.values()]}
                  initialSort={{ key: "views", desc: true }}
                />
                <p class="muted small">LCP and INP at p75; a change is marked better when it went down, worse when it went up.</p>
              </>
            )
          }
        </Show>
      </Section>
    </>
  );
}
