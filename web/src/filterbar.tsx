// The one filter bar: project, time range, environment, release, dimension filters.
// Every change is a navigation, so the URL always holds it.

import { useState } from "preact/hooks";

import { type Project, query } from "./api";
import { type Ctx, DIMENSIONS, dimensionLabel } from "./ctx";
import { navigate, refresh } from "./router";
import { type Filter, type Op, RANGES, withoutFilter } from "./state";
import type { BreakdownAnswer } from "./types";
import { useAsync } from "./ui/async";

const OP_LABEL: Record<Op, string> = { eq: "is", ne: "is not", in: "is one of", not_in: "is none of", prefix: "starts with" };

function useValues(ctx: Ctx, dimension: string) {
  // The values seen in the range, without the bar's own filter on that dimension.
  return useAsync(`${ctx.project}|${ctx.range.from}|${ctx.range.to}|${dimension}`, (signal) =>
    query<BreakdownAnswer>(
      ctx.project,
      {
        shape: "breakdown",
        range: ctx.iso,
        metric: "page_views",
        statistics: ["count"],
        group_by: [dimension],
        limit: 50,
      },
      signal,
      true,
    ).then((a) => a.rows.filter((r) => !r.other && r.group[0] !== null).map((r) => r.group[0] as string)),
  );
}

function toCustom(ctx: Ctx) {
  return { ...ctx.view, range: "custom", from: ctx.range.from, to: ctx.range.to };
}

export function FilterBar({ ctx, projects }: { ctx: Ctx; projects: Project[] }) {
  const view = ctx.view;
  const envs = useValues(ctx, "environment");
  const releases = useValues(ctx, "release");
  const [dim, setDim] = useState("country");
  const [op, setOp] = useState<Op>("eq");
  const [text, setText] = useState("");
  const [key, setKey] = useState("");
  const attribute = dim === "user_attribute:" || dim === "attribute:";
  const localValue = (ms: number) => {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
    return d.toISOString().slice(0, 16);
  };
  const add = (event: Event) => {
    event.preventDefault();
    const name = attribute ? (key.trim() ? dim + key.trim() : "") : dim;
    if (!name || !text.trim()) return;
    const values = op === "in" || op === "not_in" ? text.split(",").map((v) => v.trim()).filter(Boolean) : [text];
    if (!values.length) return;
    const filter: Filter = { dim: name, op, values };
    navigate({ ...view, filters: [...view.filters.filter((f) => f.dim !== name), filter] });
    setText("");
  };
  return (
    <form class="filterbar" aria-label="Filters" onSubmit={add}>
      <label>
        Project
        <select
          name="project"
          value={ctx.project}
          onChange={(e) => navigate({ ...view, project: (e.target as HTMLSelectElement).value, detail: undefined })}
        >
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Time range
        <select
          name="range"
          value={view.range}
          onChange={(e) => {
            const range = (e.target as HTMLSelectElement).value;
            navigate(range === "custom" ? toCustom(ctx) : { ...view, range, from: undefined, to: undefined });
          }}
        >
          {Object.entries(RANGES).map(([key, r]) => (
            <option key={key} value={key}>
              {r.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {view.range === "custom" && (
        <>
          <label>
            From
            <input
              type="datetime-local"
              name="from"
              value={localValue(ctx.range.from)}
              onChange={(e) => {
                const t = new Date((e.target as HTMLInputElement).value).getTime();
                if (Number.isFinite(t) && t < ctx.range.to) navigate({ ...view, from: t, to: ctx.range.to });
              }}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              name="to"
              value={localValue(ctx.range.to)}
              onChange={(e) => {
                const t = new Date((e.target as HTMLInputElement).value).getTime();
                if (Number.isFinite(t) && t > ctx.range.from) navigate({ ...view, from: ctx.range.from, to: t });
              }}
            />
          </label>
        </>
      )}
      <label>
        Environment
        <select
          name="env"
          value={view.env ?? ""}
          onChange={(e) => navigate({ ...view, env: (e.target as HTMLSelectElement).value || undefined })}
        >
          <option value="">All</option>
          {[...new Set([...(envs.data ?? []), ...(view.env ? [view.env] : [])])].map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Release
        <select
          name="release"
          value={view.release ?? ""}
          onChange={(e) => navigate({ ...view, release: (e.target as HTMLSelectElement).value || undefined })}
        >
          <option value="">All</option>
          {[...new Set([...(releases.data ?? []), ...(view.release ? [view.release] : [])])].map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="add-filter">
        <legend>Add a filter</legend>
        <select name="dim" aria-label="Dimension" value={dim} onChange={(e) => setDim((e.target as HTMLSelectElement).value)}>
          {DIMENSIONS.filter(([d]) => d !== "environment" && d !== "release").map(([d, label]) => (
            <option key={d} value={d}>
              {label}
            </option>
          ))}
          <option value="user_attribute:">User attribute…</option>
          <option value="attribute:">Global attribute…</option>
        </select>
        {attribute && (
          <input name="key" aria-label="Attribute key" placeholder="key" size={10} value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        )}
        <select name="op" aria-label="Comparison" value={op} onChange={(e) => setOp((e.target as HTMLSelectElement).value as Op)}>
          {(Object.keys(OP_LABEL) as Op[]).map((o) => (
            <option key={o} value={o}>
              {OP_LABEL[o]}
            </option>
          ))}
        </select>
        <input
          name="value"
          aria-label="Value (comma-separated for one of / none of)"
          placeholder={op === "in" || op === "not_in" ? "a, b, c" : "value"}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Add</button>
      </fieldset>
      <button type="button" class="refresh" onClick={() => refresh()} title="Read the latest data">
        Refresh
      </button>
      {view.filters.length > 0 && (
        <ul class="chips" aria-label="Active filters">
          {view.filters.map((f, i) => (
            <li key={i} class="chip">
              <span>
                {dimensionLabel(f.dim)} {OP_LABEL[f.op]} {f.values.join(", ")}
              </span>
              <button
                type="button"
                aria-label={`Remove filter ${dimensionLabel(f.dim)} ${OP_LABEL[f.op]} ${f.values.join(", ")}`}
                onClick={() => navigate(withoutFilter(view, i))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
