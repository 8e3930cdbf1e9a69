// Pages: routes ranked by traffic or by their worst vital, with the LCP element and the
// INP target most often reported for each route.

import { query, sql, sqlRows } from "../api";
import type { Ctx } from "../ctx";
import { worstRating } from "../derive";
import { formatCount, formatValue } from "../format";
import type { Rating } from "../ratings";
import { navigate } from "../router";
import { sqlWhere } from "../sqlfilter";
import { withFilter } from "../state";
import type { BreakdownAnswer } from "../types";
import { useAsync } from "../ui/async";
import { type Column, Empty, NO_DATA_HINT, RatingBadge, Section, Show, Table } from "../ui/components";

interface RouteRow {
  route: string | null;
  views: number;
  samples: number;
  lcp: number | null;
  inp: number | null;
  cls: number | null;
  worst: Rating | undefined;
  lcpElement?: string;
  inpTarget?: string;
}

const ORDER: Record<Rating, number> = { good: 0, needs_improvement: 1, poor: 2 };
/** The attribution columns read at most this much of the range, its end. */
const ATTRIBUTION_SPAN_MS = 24 * 3_600_000;


export function PagesPage({ ctx }: { ctx: Ctx }) {
  const result = useAsync(`${ctx.key}|routes`, async (signal) => {
    const ask = (metric: string, statistic: string) =>
      query<BreakdownAnswer>(
        ctx.project,
        { shape: "breakdown", range: ctx.iso, filters: ctx.filters, metric, statistics: [statistic], group_by: ["route"], limit: 100 },
        signal,
      );
    const [views, lcp, inp, cls] = await Promise.all([ask("page_views", "count"), ask("lcp", "p75"), ask("inp", "p75"), ask("cls", "p75")]);
    const key = (g: Array<string | null>, other?: boolean) => (other ? "\u0000other" : String(g[0]));
    const value = (a: BreakdownAnswer) => new Map(a.rows.map((r) => [key(r.group, r.other), r.values[0]]));
    const [l, i, c] = [value(lcp), value(inp), value(cls)];
    return views.rows
      .filter((r) => !r.other)
      .map((r): RouteRow => {
        const k = key(r.group);
        const row = { route: r.group[0], views: r.count, samples: r.samples, lcp: l.get(k) ?? null, inp: i.get(k) ?? null, cls: c.get(k) ?? null };
        return { ...row, worst: worstRating([["lcp", row.lcp], ["inp", row.inp], ["cls", row.cls]]) };
      });
  });
  // Which element and script are usual for a route is read from the range's last day at
  // most: they change with the pages' code, not with traffic, and reading every LCP and INP
  // report of 30 days (66M at 10M page views a month) took 10 s.
  const recent = { from: Math.max(ctx.range.from, ctx.range.to - ATTRIBUTION_SPAN_MS), to: ctx.range.to };
  const attributionSpan = recent.from > ctx.range.from ? " (last 24 hours)" : "";
  const attribution = useAsync(`${ctx.key}|attribution`, (signal) =>
    sql(
      ctx.project,
      `SELECT route, name, COALESCE(element, interaction_target) AS target, count(*) AS n FROM vital
       WHERE name IN ('lcp', 'inp') AND COALESCE(element, interaction_target) IS NOT NULL AND ${sqlWhere(ctx.view, recent).where}
       GROUP BY route, name, COALESCE(element, interaction_target) ORDER BY n DESC`,
      signal,
      2000,
    ).then(sqlRows),
  );
  // The script behind each route's INP most often: the first script of the long animation
  // frames that overlapped the interaction (function and file).
  const scripts = useAsync(`${ctx.key}|inp-scripts`, (signal) =>
    sql(
      ctx.project,
      `SELECT route, regexp_replace(scripts, '^.*?"source_function_name":"([^"]*)".*$', '\\1') AS fn,
              regexp_replace(scripts, '^.*?"source_url":"([^"]*)".*$', '\\1') AS src, count(*) AS n
       FROM vital WHERE name = 'inp' AND scripts LIKE '%"source_url":"%' AND scripts LIKE '%"source_function_name":"%'
         AND ${sqlWhere(ctx.view, recent).where}
       GROUP BY 1, 2, 3 ORDER BY n DESC`,
      signal,
      2000,
    ).then(sqlRows),
  );
  const scriptOf = new Map<string, string>();
  for (const row of scripts.data ?? []) {
    const route = String(row.route);
    const file = String(row.src).split(/[?#]/)[0].split("/").pop() || String(row.src);
    if (!scriptOf.has(route)) scriptOf.set(route, `${String(row.fn) || "(anonymous)"} in ${file}`);
  }
  const targets = new Map<string, string>();
  for (const row of attribution.data ?? []) {
    const k = `${String(row.route)}\u0000${String(row.name)}`;
    if (!targets.has(k)) targets.set(k, String(row.target));
  }
  const pending = <span class="pending">…</span>;
  const target = (route: string | null, name: string) =>
    targets.get(`${String(route)}\u0000${name}`) ?? (attribution.data ? "–" : attribution.error ? "?" : pending);
  const columns: Array<Column<RouteRow>> = [
    { key: "route", label: "Route", render: (r) => r.route ?? "(none)", sort: (r) => r.route },
    { key: "views", label: "Page views", numeric: true, render: (r) => formatCount(r.views), sort: (r) => r.views },
    { key: "worst", label: "Worst vital", render: (r) => <RatingBadge rating={r.worst} />, sort: (r) => (r.worst ? ORDER[r.worst] : -1) },
    { key: "lcp", label: "LCP p75", numeric: true, render: (r) => formatValue("lcp", "p75", r.lcp), sort: (r) => r.lcp },
    { key: "inp", label: "INP p75", numeric: true, render: (r) => formatValue("inp", "p75", r.inp), sort: (r) => r.inp },
    { key: "cls", label: "CLS p75", numeric: true, render: (r) => formatValue("cls", "p75", r.cls), sort: (r) => r.cls },
    { key: "lcpel", label: `Usual LCP element${attributionSpan}`, render: (r) => <code>{target(r.route, "lcp")}</code> },
    { key: "inpel", label: `Usual INP target${attributionSpan}`, render: (r) => <code>{target(r.route, "inp")}</code> },
    { key: "inpscript", label: `Usual INP script${attributionSpan}`, render: (r) => <code>{scriptOf.get(String(r.route)) ?? (scripts.data ? "–" : scripts.error ? "?" : pending)}</code> },
  ];
  const sort = ctx.view.params.sort === "worst" ? { key: "worst", desc: true } : { key: "views", desc: true };
  return (
    <>
      <div class="toolbar">
        <label>
          Rank routes by
          <select
            name="sort"
            value={ctx.view.params.sort === "worst" ? "worst" : "views"}
            onChange={(e) => navigate({ ...ctx.view, params: { sort: (e.target as HTMLSelectElement).value } })}
          >
            <option value="views">Traffic</option>
            <option value="worst">Worst vital</option>
          </select>
        </label>
      </div>
      <Show result={result} what="routes">
        {(rows) =>
          !rows.length ? (
            <Empty>{NO_DATA_HINT}</Empty>
          ) : (
            <Section title={`${rows.length} routes`}>
              <Table
                key={sort.key}
                columns={columns}
                rows={rows}
                initialSort={sort}
                rowLabel={(r) => `Filter by route ${r.route ?? ""}`}
                onRow={(r) => r.route !== null && navigate(withFilter({ ...ctx.view, page: "performance", params: {} }, { dim: "route", op: "eq", values: [r.route] }))}
              />
              <p class="muted small">
                Click a route to explore its performance. Elements are the CSS selectors the agent reported most often for the route
                {attributionSpan ? " in the range's last 24 hours" : ""}.
                {attribution.error ? ` Attribution could not be read: ${attribution.error.message}` : ""}
                {scripts.error ? ` INP scripts could not be read: ${scripts.error.message}` : ""}
              </p>
            </Section>
          )
        }
      </Show>
    </>
  );
}
