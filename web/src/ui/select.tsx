// The pages' pickers: a labelled <select> whose choice goes to a callback (usually the URL),
// and the metric picker the performance explorer and the geography page share.

import { metricLabel } from "../ratings";

/** Metrics with a value (a duration or a score): what the explorer and the map can show. */
export const VALUE_METRICS = [
  "lcp",
  "inp",
  "cls",
  "fcp",
  "ttfb",
  "load",
  "dom_interactive",
  "dom_content_loaded",
  "nav_dns",
  "nav_connect",
  "nav_tls",
  "nav_request",
  "nav_response",
  "request_duration",
  "long_animation_frame_duration",
];

/** `[value, text]` pairs, or plain values shown as themselves. */
export type Options = ReadonlyArray<string | readonly [string, string]>;

export function Select({
  label,
  name,
  value,
  options,
  onChange,
  disabled,
  current,
}: {
  label: string;
  name: string;
  value: string;
  options: Options;
  onChange: (value: string) => void;
  disabled?: boolean;
  /** The text of a value that is not among the options (shown first, selected). */
  current?: string;
}) {
  const pairs = options.map((o) => (typeof o === "string" ? ([o, o] as const) : o));
  const known = pairs.some(([v]) => v === value);
  return (
    <label>
      {label}
      <select name={name} value={known ? value : ""} disabled={disabled} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {!known && <option value="">{current ?? value}</option>}
        {pairs.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The metric of VALUE_METRICS `value`, or `fallback` when it is none of them. */
export const valueMetric = (value: string | undefined, fallback = "lcp") => (value && VALUE_METRICS.includes(value) ? value : fallback);

export function MetricSelect({ value, onChange, withIds = false }: { value: string; onChange: (metric: string) => void; withIds?: boolean }) {
  return (
    <Select
      label="Metric"
      name="metric"
      value={value}
      options={VALUE_METRICS.map((m) => [m, withIds ? `${metricLabel(m)} (${m})` : metricLabel(m)] as const)}
      onChange={onChange}
    />
  );
}
