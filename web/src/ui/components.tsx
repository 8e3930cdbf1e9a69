import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { formatChange, formatPercent } from "../format";
import { RATING_COLOUR, RATING_LABEL, RATING_SYMBOL, type Rating, changeClass } from "../ratings";
import { safeHref } from "../safe";
import type { Async } from "./async";

export function Loading({ what = "data" }: { what?: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <div class="state empty" role="status">
      {children}
    </div>
  );
}

export function ErrorBox({ error }: { error: Error }) {
  return (
    <div class="state error" role="alert">
      <strong>Could not load this.</strong> {error.message}
    </div>
  );
}

/** Shows loading, an error or the content of an async result. */
export function Show<T>({
  result,
  what,
  children,
}: {
  result: Async<T>;
  what?: string;
  children: (data: T) => ComponentChildren;
}) {
  if (result.error) return <ErrorBox error={result.error} />;
  if (result.data === undefined) return <Loading what={what} />;
  return <>{children(result.data)}</>;
}

export const NO_DATA_HINT = (
  <>
    No data in this time range. Widen the range or remove filters above; if nothing was ever received, install the
    snippet from <a href="/setup">Setup</a>.
  </>
);

export function RatingBadge({ rating }: { rating: Rating | undefined }) {
  if (!rating) return <span class="rating none">no data</span>;
  return (
    <span class={`rating ${rating}`}>
      <span aria-hidden="true">{RATING_SYMBOL[rating]} </span>
      {RATING_LABEL[rating]}
    </span>
  );
}

/** The good / needs improvement / poor shares as one bar with the figures written out. */
export function RatingBar({ good, ni, poor }: { good?: number | null; ni?: number | null; poor?: number | null }) {
  const parts: Array<[Rating, number]> = [
    ["good", good ?? 0],
    ["needs_improvement", ni ?? 0],
    ["poor", poor ?? 0],
  ];
  const total = parts.reduce((s, [, v]) => s + v, 0);
  if (!total) return <div class="rating-bar empty">no samples</div>;
  return (
    <div class="rating-bar-wrap">
      <div class="rating-bar" role="img" aria-label={parts.map(([r, v]) => `${RATING_LABEL[r]} ${formatPercent(v)}`).join(", ")}>
        {parts.map(([r, v]) => (
          <span key={r} class={`seg ${r}`} style={{ width: `${(v / total) * 100}%`, background: RATING_COLOUR[r] }} />
        ))}
      </div>
      <div class="rating-legend">
        {parts.map(([r, v]) => (
          <span key={r} class={`leg ${r}`}>
            <span aria-hidden="true" style={{ color: RATING_COLOUR[r] }}>
              {RATING_SYMBOL[r]}
            </span>{" "}
            {RATING_LABEL[r]} {formatPercent(v)}
          </span>
        ))}
      </div>
    </div>
  );
}

export interface Comparison {
  baseline: number | null;
  relative: number | null;
  direction: "up" | "down" | "unchanged";
  improved: boolean | null;
}

export function Trend({ comparison, label = "vs previous period" }: { comparison?: Comparison; label?: string }) {
  if (!comparison || comparison.baseline === null || (comparison.baseline === 0 && comparison.relative === null)) return <span class="trend neutral">no earlier data</span>;
  const arrow = comparison.direction === "up" ? "\u2191" : comparison.direction === "down" ? "\u2193" : "\u2192";
  const word = comparison.improved === true ? " better" : comparison.improved === false ? " worse" : "";
  return (
    <span class={`trend ${changeClass(comparison.improved)}`}>
      {arrow} {formatChange(comparison.relative)}
      {word} {label}
    </span>
  );
}

/** A URL from a beacon: a link only when it is http(s), text otherwise. */
export function UrlText({ url }: { url: string | null | undefined }) {
  if (!url) return <span class="muted">–</span>;
  const href = safeHref(url);
  if (!href) return <span class="url">{url}</span>;
  return (
    <a class="url" href={href} target="_blank" rel="noopener noreferrer nofollow">
      {url}
    </a>
  );
}

// --- sortable table ----------------------------------------------------------------------------

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** The value sorted by; columns without one are not sortable. */
  sort?: (row: T) => number | string | null | undefined;
  numeric?: boolean;
  title?: string;
}

export function Table<T>({
  columns,
  rows,
  onRow,
  rowLabel,
  initialSort,
  caption,
}: {
  columns: Array<Column<T>>;
  rows: T[];
  onRow?: (row: T) => void;
  rowLabel?: (row: T) => string;
  initialSort?: { key: string; desc: boolean };
  caption?: string;
}) {
  const [sort, setSort] = useState(initialSort);
  const column = columns.find((c) => c.key === sort?.key);
  const sorted = column?.sort
    ? [...rows].sort((a, b) => {
        const x = column.sort!(a);
        const y = column.sort!(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const c = x < y ? -1 : 1;
        return sort!.desc ? -c : c;
      })
    : rows;
  return (
    <table class={onRow ? "data clickable" : "data"}>
      {caption && <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => {
            const active = sort?.key === c.key;
            return (
              <th
                key={c.key}
                class={c.numeric ? "num" : undefined}
                title={c.title}
                aria-sort={active ? (sort!.desc ? "descending" : "ascending") : undefined}
              >
                {c.sort ? (
                  <button
                    type="button"
                    class="sort"
                    onClick={() => setSort({ key: c.key, desc: active ? !sort!.desc : c.numeric !== false && !!c.numeric })}
                  >
                    {c.label}
                    <span aria-hidden="true">{active ? (sort!.desc ? " \u25bc" : " \u25b2") : ""}</span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {sorted.map((row, i) => (
          <tr
            key={i}
            tabIndex={onRow ? 0 : undefined}
            aria-label={onRow && rowLabel ? rowLabel(row) : undefined}
            onClick={onRow ? () => onRow(row) : undefined}
            onKeyDown={
              onRow
                ? (e: KeyboardEvent) => {
                    if (e.key === "Enter" || e.key === " ") {
                      e.preventDefault();
                      onRow(row);
                    }
                  }
                : undefined
            }
          >
            {columns.map((c) => (
              <td key={c.key} class={c.numeric ? "num" : undefined}>
                {c.render(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
