// Ingest health: events accepted and dropped by reason per minute (the outcomes), per project.

import { outcomes } from "../api";
import type { Ctx } from "../ctx";
import { bucketMinutes, totalsByReason } from "../derive";
import { formatCount, formatPercent } from "../format";
import { useAsync } from "../ui/async";
import { Chart, type Series } from "../ui/chart";
import { type Column, Empty, Section, Show, Table } from "../ui/components";



export function IngestPage({ ctx }: { ctx: Ctx }) {
  const result = useAsync(`${ctx.project}|outcomes|${ctx.range.from}|${ctx.range.to}`, (signal) =>
    outcomes(ctx.project, ctx.iso.from, ctx.iso.to, bucketMinutes(ctx.range.to - ctx.range.from), signal),
  );
  return (
    <Show result={result} what="outcomes">
      {(buckets) => {
        if (!buckets.length) return <Empty>Nothing was received for this project in this range. Install the snippet from Setup, then come back.</Empty>;
        const reasons = totalsByReason(buckets);
        const accepted = buckets.reduce((s, b) => s + b.accepted, 0);
        const dropped = reasons.reduce((s, [, n]) => s + n, 0);
        const x = buckets.map((b) => Date.parse(b.time));
        const series: Series[] = [
          { label: "accepted", values: buckets.map((b) => b.accepted), colour: "#0072b2" },
          ...reasons.slice(0, 6).map(([reason], i) => ({
            label: reason,
            values: buckets.map((b) => b.dropped[reason] ?? 0),
            colour: ["#d55e00", "#e69f00", "#cc79a7", "#009e73", "#56b4e9", "#999999"][i],
          })),
        ];
        const columns: Array<Column<[string, number]>> = [
          { key: "reason", label: "Reason", render: (r) => <code>{r[0]}</code>, sort: (r) => r[0] },
          { key: "n", label: "Events", numeric: true, render: (r) => formatCount(r[1]), sort: (r) => r[1] },
          { key: "share", label: "Share of all", numeric: true, render: (r) => formatPercent(r[1] / (accepted + dropped)), sort: (r) => r[1] },
        ];
        return (
          <>
            <div class="tiles counts">
              <div class="tile" data-metric="accepted">
                <span class="tile-label">Accepted events</span>
                <span class="tile-value">{formatCount(accepted)}</span>
              </div>
              <div class="tile" data-metric="dropped">
                <span class="tile-label">Rejected, dropped, trimmed or folded</span>
                <span class="tile-value">{formatCount(dropped)}</span>
                <span class="muted small">{formatPercent(dropped / Math.max(1, accepted + dropped))} of all</span>
              </div>
            </div>
            <Section title={`Per ${bucketMinutes(ctx.range.to - ctx.range.from)} min`}>
              <Chart xRange={ctx.range} label="Events accepted and not accepted by reason over time" x={x} series={series} format={(v) => formatCount(v)} />
            </Section>
            <Section title="Outcomes by reason">
              {reasons.length ? (
                <Table columns={columns} rows={reasons} initialSort={{ key: "n", desc: true }} />
              ) : (
                <Empty>Nothing was rejected, dropped, trimmed or folded in this range.</Empty>
              )}
              <p class="muted small">The server keeps 48 hours of outcome history; reasons are documented in docs/protocol.md, and the same counts are in /metrics.</p>
            </Section>
          </>
        );
      }}
    </Show>
  );
}
