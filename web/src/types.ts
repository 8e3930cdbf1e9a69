// The answers of the query API this dashboard reads (docs/query.md). Only what is used.

import type { Comparison } from "./ui/components";

export type Metric = string | { custom: string };
export type Statistic = string | { quantile: number };

export interface ValueTile {
  metric: Metric;
  statistic: Statistic;
  value: number | null;
  samples: number;
  comparison?: Comparison;
}
export interface ValuesAnswer {
  values: ValueTile[];
}

export interface SeriesPoint {
  time: string;
  values: Array<number | null>;
  count: number;
  samples: number;
}
export interface TimeSeriesAnswer {
  statistics: Statistic[];
  series: Array<{ group?: string | null; other?: boolean; points: SeriesPoint[] }>;
}

export interface BreakdownRow {
  group: Array<string | null>;
  other?: boolean;
  values: Array<number | null>;
  count: number;
  samples: number;
}
export interface BreakdownAnswer {
  rows: BreakdownRow[];
  groups: number;
}

export interface DistributionAnswer {
  buckets: Array<{ from: number; to: number | null; count: number; share: number; samples: number; rating?: string | null }>;
  count: number;
  samples: number;
}

export interface SessionRow {
  session_id: string;
  start: string;
  end: string;
  views: number;
  errors: number;
  user_id: string | null;
  country: string | null;
  browser: string | null;
  os: string | null;
  device_class: string | null;
  release: string | null;
  sampling_reason: string | null;
}
export interface ListAnswer<T> {
  rows: T[];
  next_cursor?: string | null;
}

export interface TimelineEvent {
  time: string;
  view_id: string;
  event_id: string;
  route: string | null;
  kind: string;
  [field: string]: unknown;
}
export interface TimelineAnswer {
  context?: Record<string, string | number | null>;
  events: TimelineEvent[];
  truncated: boolean;
}

export interface ErrorGroup {
  fingerprint: string;
  error_type: string | null;
  message: string | null;
  count: number;
  events: number;
  sessions: number;
  users: number;
  first_seen: string;
  last_seen: string;
  releases: string[];
  top_route: string | null;
  top_browser: string | null;
}
export interface ErrorGroupsAnswer {
  groups: ErrorGroup[];
  total_groups: number;
}
export interface ErrorSample {
  time: string;
  event_id: string;
  session_id: string;
  view_id: string;
  route: string | null;
  url: string | null;
  message: string | null;
  stack: string | null;
  source_url: string | null;
  line: number | null;
  column: number | null;
  browser: string | null;
  os: string | null;
  release: string | null;
  user_id: string | null;
}
export interface ErrorGroupAnswer {
  group?: ErrorGroup;
  series: Array<{ time: string; count: number; events: number }>;
  samples: ErrorSample[];
}
