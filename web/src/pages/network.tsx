// Network: the slowest and the failing endpoints, the hosts the pages load resources from
// with what they cost, and the scripts that run in long animation frames. Read with SQL over
// `request`, `resource` and `long_animation_frame` (the typed model has no endpoint or script
// dimension); the filter bar's plain dimensions apply.

import { sql, sqlRows } from "../api";
import type { Ctx } from "../ctx";
import { formatBytes, formatCount, formatDuration, formatPercent } from "../format";
import { sqlWhere } from "../sqlfilter";
import { useAsync } from "../ui/async";
import { type Column, Empty, Section, Show, Table } from "../ui/components";

type Row = Record<string, unknown>;

/**
 * An endpoint: the URL with numeric and hexadecimal path segments (ids, UUIDs) as `:id`; and
 * the host of a URL. The server's functions, not regular expressions or `split_part`: the
 * page reads every request and resource of the range (at 10M page views a day holds 1.6M
 * requests and 2.2M resources), and a regular expression per row was most of its time.
 */
const ENDPOINT = "sightline_endpoint(url)";
const urlHost = (url: string) => `sightline_url_host(${url})`;
const TOP = 25;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * A text field of the first script of a frame's `scripts` (JSON), or null: the server's
 * function reads the first object only (a regular expression per frame was most of the
 * page's time over a day at 10M page views).
 */
const firstScriptField = (name: string) => `NULLIF(sightline_json_first(scripts, '${name}'), '')`;

/**
 * Long animation frames by their longest script (the first of `scripts`: the agent sends them
 * longest first and the intake sorts them so): how many frames each script and function is the
 * longest of, out of all long frames, those frames' p75 duration and blocking time, and whether
 * the script comes from another host than the page.
 */
function frameScriptsSql(where: string): string {
  return `SELECT url, fn, count(*) AS longest, approx_percentile_cont(duration, 0.75) AS p75, sum(blocking_duration) AS blocking,
           bool_or(host IS NOT NULL AND ${urlHost("url")} <> host) AS third_party,
           (SELECT count(*) FROM long_animation_frame WHERE ${where}) AS all_frames
    FROM (SELECT ${firstScriptField("source_url")} AS url, ${firstScriptField("source_function_name")} AS fn, duration, blocking_duration, host
          FROM long_animation_frame WHERE scripts LIKE '[{%' AND ${where})
    GROUP BY url, fn ORDER BY longest DESC`;
}

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
      `SELECT ${urlHost("url")} AS host, count(*) AS resources,
              approx_percentile_cont(duration, 0.75) AS p75, sum(duration) AS total_time, sum(transfer_size) AS bytes,
              bool_or(host IS NOT NULL AND ${urlHost("url")} <> host) AS third_party
       FROM resource WHERE ${where} GROUP BY 1 ORDER BY total_time DESC`,
      signal,
      200,
    ).then(sqlRows),
  );
  const frames = useAsync(`${ctx.key}|frame-scripts`, (signal) => sql(ctx.project, frameScriptsSql(where), signal, 100).then(sqlRows));
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
  const share = (r: Row) => (n(r.all_frames) ? n(r.longest)! / n(r.all_frames)! : null);
  const scriptColumns: Array<Column<Row>> = [
    { key: "url", label: "Script", render: (r) => <code>{r.url === null || r.url === undefined ? "(no source)" : String(r.url)}</code>, sort: (r) => String(r.url) },
    { key: "fn", label: "Function", render: (r) => <code>{r.fn === null || r.fn === undefined ? "(anonymous)" : String(r.fn)}</code>, sort: (r) => String(r.fn) },
    { key: "party", label: "Party", render: (r) => (r.url === null ? "–" : r.third_party ? "third party" : "first party"), sort: (r) => String(r.third_party) },
    { key: "longest", label: "Longest script in", numeric: true, render: (r) => `${formatCount(n(r.longest))} frames`, sort: (r) => n(r.longest) },
    {
      key: "share",
      label: "Share of long frames",
      numeric: true,
      render: (r) => formatPercent(share(r)),
      sort: share,
      title: "Of all long animation frames in the range, those where this script ran longest",
    },
    { key: "p75", label: "Frame p75", numeric: true, render: (r) => formatDuration(n(r.p75)), sort: (r) => n(r.p75), title: "Duration of those frames, p75" },
    { key: "blocking", label: "Blocking time", numeric: true, render: (r) => formatDuration(n(r.blocking)), sort: (r) => n(r.blocking), title: "Time over 50 ms not yielding to input, summed over those frames" },
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
      <Section title="Scripts behind long animation frames">
        <Show result={frames} what="long animation frames">
          {(rows) =>
            !rows.length ? (
              <Empty>No long animation frame with script attribution in this range (Chromium reports them; other browsers do not).</Empty>
            ) : (
              <>
                <Table columns={scriptColumns} rows={rows.slice(0, TOP)} initialSort={{ key: "longest", desc: true }} />
                <p class="muted small">
                  {formatCount(n(rows[0].all_frames))} long animation frames (over 50 ms) in this range. A script that is the longest in most of them
                  is the first to look at for slow interactions; the INP script of each route is on Pages.
                </p>
              </>
            )
          }
        </Show>
      </Section>
    </>
  );
}
