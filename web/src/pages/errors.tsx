// Errors: groups by fingerprint with counts, sessions and users affected; one group's detail
// with its occurrences over time, stack, releases, and sample sessions.

import { query, sql, sqlRows } from "../api";
import type { Ctx } from "../ctx";
import { formatAgo, formatCount, formatTime } from "../format";
import { linkProps, navigate } from "../router";
import { sqlWhere } from "../sqlfilter";
import { bucketFor, toPage } from "../state";
import type { ErrorGroup, ErrorGroupAnswer, ErrorGroupsAnswer, ErrorSample } from "../types";
import { useAsync } from "../ui/async";
import { Chart } from "../ui/chart";
import { type Column, Empty, Section, Show, Table, UrlText } from "../ui/components";
import { Sparkline } from "../ui/spark";

const SPARK_BUCKETS = 24;

const SORTS: Array<[string, string]> = [
  ["count", "Occurrences"],
  ["sessions", "Sessions"],
  ["users", "Users"],
  ["last_seen", "Last seen"],
];

const ERRORS_EMPTY = <>No errors in this time range with these filters. Widen the range or remove a filter.</>;

function title(g: { error_type: string | null; message: string | null }): string {
  return `${g.error_type ?? "Error"}: ${g.message ?? "(no message)"}`;
}

export function ErrorsPage({ ctx }: { ctx: Ctx }) {
  return ctx.view.detail ? <ErrorGroupPage ctx={ctx} fingerprint={ctx.view.detail} /> : <ErrorGroupList ctx={ctx} />;
}

function ErrorGroupList({ ctx }: { ctx: Ctx }) {
  const sort = SORTS.some(([s]) => s === ctx.view.params.sort) ? ctx.view.params.sort! : "count";
  const groups = useAsync(`${ctx.key}|groups|${sort}`, (signal) =>
    query<ErrorGroupsAnswer>(ctx.project, { shape: "error_groups", range: ctx.iso, filters: ctx.filters, sort_by: sort, limit: 100 }, signal),
  );
  // Occurrences per group over the range in 24 steps, for all groups in one statement.
  const spark = useAsync(`${ctx.key}|spark`, (signal) => {
    const step = Math.max(60_000, Math.ceil((ctx.range.to - ctx.range.from) / SPARK_BUCKETS));
    return sql(
      ctx.project,
      `SELECT sightline_fingerprint(error_type, message, stack) AS fp,
              CAST((CAST(timestamp AS BIGINT) - ${Math.floor(ctx.range.from)}) / ${step} AS BIGINT) AS b, sum(count) AS n
       FROM error WHERE ${sqlWhere(ctx.view, ctx.range).where} GROUP BY 1, 2`,
      signal,
      10_000,
    ).then((answer) => {
      const series = new Map<string, number[]>();
      for (const row of sqlRows(answer)) {
        const fp = String(row.fp);
        const values = series.get(fp) ?? new Array<number>(SPARK_BUCKETS).fill(0);
        const b = Number(row.b);
        if (b >= 0 && b < SPARK_BUCKETS) values[b] += Number(row.n);
        series.set(fp, values);
      }
      return series;
    });
  });
  const columns: Array<Column<ErrorGroup>> = [
    {
      key: "error",
      label: "Error",
      render: (g) => (
        <a {...linkProps(toPage(ctx.view, "errors", g.fingerprint))} onClick={(e) => e.stopPropagation()} class="error-title">
          {title(g)}
        </a>
      ),
      sort: (g) => title(g),
    },
    { key: "count", label: "Occurrences", numeric: true, render: (g) => formatCount(g.count), sort: (g) => g.count },
    {
      key: "trend",
      label: "Over the range",
      render: (g) => {
        const values = spark.data?.get(g.fingerprint);
        return values ? <Sparkline values={values} label={`occurrences over the range, peak ${Math.max(...values)}`} /> : "";
      },
    },
    { key: "sessions", label: "Sessions", numeric: true, render: (g) => formatCount(g.sessions), sort: (g) => g.sessions },
    { key: "users", label: "Users", numeric: true, render: (g) => formatCount(g.users), sort: (g) => g.users },
    { key: "route", label: "Top route", render: (g) => g.top_route ?? "–", sort: (g) => g.top_route },
    { key: "browser", label: "Top browser", render: (g) => g.top_browser ?? "–", sort: (g) => g.top_browser },
    { key: "releases", label: "Releases", render: (g) => g.releases.join(", ") || "–" },
    { key: "first", label: "First seen", render: (g) => formatAgo(g.first_seen, ctx.now), sort: (g) => g.first_seen },
    { key: "last", label: "Last seen", render: (g) => formatAgo(g.last_seen, ctx.now), sort: (g) => g.last_seen },
  ];
  return (
    <>
      <div class="toolbar">
        <label>
          Sort groups by
          <select
            name="sort"
            value={sort}
            onChange={(e) => navigate({ ...ctx.view, params: { ...ctx.view.params, sort: (e.target as HTMLSelectElement).value } })}
          >
            {SORTS.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Show result={groups} what="error groups">
        {(answer) =>
          !answer.groups.length ? (
            <Empty>{ERRORS_EMPTY}</Empty>
          ) : (
            <Section title={`${answer.total_groups} error groups`}>
              <Table
                columns={columns}
                rows={answer.groups}
                rowLabel={(g) => `Open error ${title(g)}`}
                onRow={(g) => navigate(toPage(ctx.view, "errors", g.fingerprint))}
              />
            </Section>
          )
        }
      </Show>
    </>
  );
}

function ErrorGroupPage({ ctx, fingerprint }: { ctx: Ctx; fingerprint: string }) {
  const bucket = bucketFor(ctx.range);
  const result = useAsync(`${ctx.key}|group|${fingerprint}`, (signal) =>
    query<ErrorGroupAnswer>(
      ctx.project,
      { shape: "error_group", range: ctx.iso, filters: ctx.filters, fingerprint, bucket, samples: 20 },
      signal,
    ),
  );
  const samples: Array<Column<ErrorSample>> = [
    { key: "time", label: "Time", render: (s) => formatTime(s.time), sort: (s) => s.time },
    { key: "route", label: "Route", render: (s) => s.route ?? "–" },
    { key: "url", label: "Page", render: (s) => <UrlText url={s.url} /> },
    { key: "browser", label: "Browser", render: (s) => `${s.browser ?? "–"} / ${s.os ?? "–"}` },
    { key: "release", label: "Release", render: (s) => s.release ?? "–" },
    { key: "user", label: "User", render: (s) => s.user_id ?? "–" },
    {
      key: "session",
      label: "Session",
      render: (s) => (
        <a {...linkProps(toPage(ctx.view, "sessions", s.session_id))} onClick={(e) => e.stopPropagation()}>
          {s.session_id}
        </a>
      ),
    },
  ];
  return (
    <>
      <p>
        <a {...linkProps(toPage(ctx.view, "errors", undefined, ctx.view.params))}>← All error groups</a>
      </p>
      <Show result={result} what="the error group">
        {(answer) => {
          const g = answer.group;
          if (!g) return <Empty>This error did not happen in the selected range and filters. Widen the time range.</Empty>;
          const latest = answer.samples[0];
          return (
            <>
              <Section title={title(g)}>
                <dl class="kv">
                  <dt>Occurrences</dt>
                  <dd>{formatCount(g.count)} ({formatCount(g.events)} events)</dd>
                  <dt>Sessions affected</dt>
                  <dd>{formatCount(g.sessions)}</dd>
                  <dt>Users affected</dt>
                  <dd>{formatCount(g.users)}</dd>
                  <dt>First seen</dt>
                  <dd>{formatTime(g.first_seen)}</dd>
                  <dt>Last seen</dt>
                  <dd>{formatTime(g.last_seen)}</dd>
                  <dt>Releases</dt>
                  <dd>{g.releases.join(", ") || "–"}</dd>
                  <dt>Top route</dt>
                  <dd>{g.top_route ?? "–"}</dd>
                  <dt>Top browser</dt>
                  <dd>{g.top_browser ?? "–"}</dd>
                  <dt>Fingerprint</dt>
                  <dd>
                    <code>{g.fingerprint}</code>
                  </dd>
                </dl>
              </Section>
              <Section title={`Occurrences per ${bucket}`}>
                {answer.series.length ? (
                  <Chart
                    xRange={ctx.range}
                    label={`Occurrences of the error per ${bucket}`}
                    x={answer.series.map((p) => Date.parse(p.time))}
                    series={[{ label: "occurrences", values: answer.series.map((p) => p.count), colour: "#d55e00", bars: true }]}
                    format={(v) => formatCount(v)}
                  />
                ) : (
                  <Empty>No occurrences to chart.</Empty>
                )}
              </Section>
              {latest && (
                <Section title="Latest stack">
                  <pre class="stack">{latest.stack ?? latest.message ?? "(no stack)"}</pre>
                  {latest.source_url && (
                    <p class="small">
                      Source: <UrlText url={latest.source_url} />
                      {latest.line !== null ? `:${latest.line}` : ""}
                      {latest.column !== null ? `:${latest.column}` : ""}
                    </p>
                  )}
                </Section>
              )}
              <Section title="Sample occurrences">
                <Table
                  columns={samples}
                  rows={answer.samples}
                  rowLabel={(s) => `Open session ${s.session_id}`}
                  onRow={(s) => navigate(toPage(ctx.view, "sessions", s.session_id))}
                />
              </Section>
            </>
          );
        }}
      </Show>
    </>
  );
}
