// Network: the slowest and the failing endpoints, the hosts the pages load resources from
// with what they cost, and the scripts that run in long animation frames. Read with SQL
// (`networksql.ts`: from the rollups when they hold the question, else over `request`,
// `resource` and `long_animation_frame`; the typed model has no endpoint or script
// dimension); the filter bar's plain dimensions apply. Counts are estimates of all
// traffic (weighted by the inverse sample rate), as on every other page.

import { sql, sqlRows } from "../api";
import type { Ctx } from "../ctx";
import { formatBytes, formatCount, formatDuration, formatPercent } from "../format";
import { networkSql } from "../networksql";
import { useAsync } from "../ui/async";
import { type Column, Empty, Section, Show, Table } from "../ui/components";

type Row = Record<string, unknown>;

const TOP = 25;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function NetworkPage({ ctx }: { ctx: Ctx }) {
  const statements = networkSql(ctx.view, ctx.range);
  const skipped = statements.skipped;
  const endpoints = useAsync(`${ctx.key}|endpoints`, (signal) => sql(ctx.project, statements.endpoints, signal, 300).then(sqlRows));
  const hosts = useAsync(`${ctx.key}|hosts`, (signal) => sql(ctx.project, statements.hosts, signal, 200).then(sqlRows));
  const frames = useAsync(`${ctx.key}|frame-scripts`, (signal) => sql(ctx.project, statements.frames, signal, 100).then(sqlRows));
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
