// Network: the slowest and the failing endpoints, and the hosts the pages load resources
// from with what they cost. Read with SQL over `request` and `resource` (the typed model has
// no endpoint dimension); the filter bar's plain dimensions apply.

import { sql, sqlRows } from "../api";
import type { Ctx } from "../ctx";
import { formatBytes, formatCount, formatDuration, formatPercent } from "../format";
import { sqlWhere } from "../sqlfilter";
import { useAsync } from "../ui/async";
import { type Column, Empty, Section, Show, Table } from "../ui/components";

type Row = Record<string, unknown>;

/** An endpoint: the URL with numeric and hexadecimal path segments (ids, UUIDs) as `:id`. */
const ENDPOINT = `regexp_replace(url, '/([0-9]+|[0-9a-fA-F-]{8,})(/|$)', '/:id$2', 'g')`;
const TOP = 25;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function NetworkPage({ ctx }: { ctx: Ctx }) {
  const { where, skipped } = sqlWhere(ctx.view, ctx.range);
  const endpoints = useAsync(`${ctx.key}|endpoints`, (signal) =>
    sql(
      ctx.project,
      `SELECT method, ${ENDPOINT} AS url, count(*) AS requests,
              approx_percentile_cont(duration, 0.75) AS p75, max(duration) AS max,
              sum(CASE WHEN failure IS NOT NULL OR status IS NULL OR status = 0 OR status >= 400 THEN 1 ELSE 0 END) AS failed
       FROM request WHERE ${where} GROUP BY 1, 2 ORDER BY requests DESC`,
      signal,
      300,
    ).then(sqlRows),
  );
  const hosts = useAsync(`${ctx.key}|hosts`, (signal) =>
    sql(
      ctx.project,
      `SELECT regexp_replace(url, '^https?://([^/]+).*$', '\\1') AS host, count(*) AS resources,
              approx_percentile_cont(duration, 0.75) AS p75, sum(duration) AS total_time, sum(transfer_size) AS bytes,
              bool_or(host IS NOT NULL AND regexp_replace(url, '^https?://([^/]+).*$', '\\1') <> host) AS third_party
       FROM resource WHERE ${where} GROUP BY 1 ORDER BY total_time DESC`,
      signal,
      200,
    ).then(sqlRows),
  );
  const endpointColumns: Array<Column<Row>> = [
    { key: "method", label: "Method", render: (r) => String(r.method ?? "–") },
    { key: "url", label: "Endpoint", render: (r) => <code>{String(r.url ?? "–")}</code>, sort: (r) => String(r.url) },
    { key: "requests", label: "Requests", numeric: true, render: (r) => formatCount(n(r.requests)), sort: (r) => n(r.requests) },
    { key: "p75", label: "p75", numeric: true, render: (r) => formatDuration(n(r.p75)), sort: (r) => n(r.p75) },
    { key: "max", label: "Max", numeric: true, render: (r) => formatDuration(n(r.max)), sort: (r) => n(r.max) },
    { key: "failed", label: "Failed", numeric: true, render: (r) => formatCount(n(r.failed)), sort: (r) => n(r.failed) },
    {
      key: "rate",
      label: "Failure rate",
      numeric: true,
      render: (r) => formatPercent(n(r.failed)! / n(r.requests)!),
      sort: (r) => n(r.failed)! / n(r.requests)!,
    },
  ];
  const hostColumns: Array<Column<Row>> = [
    { key: "host", label: "Host", render: (r) => String(r.host ?? "–"), sort: (r) => String(r.host) },
    { key: "party", label: "Party", render: (r) => (r.third_party ? "third party" : "first party"), sort: (r) => String(r.third_party) },
    { key: "resources", label: "Resources", numeric: true, render: (r) => formatCount(n(r.resources)), sort: (r) => n(r.resources) },
    { key: "p75", label: "p75 duration", numeric: true, render: (r) => formatDuration(n(r.p75)), sort: (r) => n(r.p75) },
    { key: "total", label: "Total time", numeric: true, render: (r) => formatDuration(n(r.total_time)), sort: (r) => n(r.total_time) },
    { key: "bytes", label: "Transferred", numeric: true, render: (r) => formatBytes(n(r.bytes)), sort: (r) => n(r.bytes) },
  ];
  const empty = <Empty>No requests in this time range with these filters. Widen the range or remove a filter.</Empty>;
  return (
    <>
      {skipped.length > 0 && <p class="muted">Filters on {skipped.join(", ")} do not apply to this page.</p>}
      <>
        <Section title="Slowest endpoints (p75)">
          <Show result={endpoints} what="endpoints">
            {(rows) =>
              !rows.length ? empty : <Table
                  columns={endpointColumns}
                  rows={[...rows].filter((r) => n(r.requests)! >= 3).sort((x, y) => n(y.p75)! - n(x.p75)!).slice(0, TOP)}
                  initialSort={{ key: "p75", desc: true }}
                />
            }
          </Show>
        </Section>
        <Section title="Failing endpoints">
          <Show result={endpoints} what="endpoints">
            {(rows) => {
              const failing = rows.filter((r) => n(r.failed)! > 0).sort((x, y) => n(y.failed)! - n(x.failed)!).slice(0, TOP);
              return !failing.length ? (
                <Empty>No request failed in this range.</Empty>
              ) : (
                <Table columns={endpointColumns} rows={failing} initialSort={{ key: "failed", desc: true }} />
              );
            }}
          </Show>
        </Section>
      </>
      <Section title="Hosts pages load resources from">
        <Show result={hosts} what="hosts">
          {(rows) => (!rows.length ? empty : <Table columns={hostColumns} rows={rows} initialSort={{ key: "total", desc: true }} />)}
        </Show>
      </Section>
    </>
  );
}
