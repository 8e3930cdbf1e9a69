import { type ApiFilter, type Range, type ViewState, apiFilters, isoRange, resolveRange } from "./state";

/** What every page's queries share: the project, the resolved range and the filters. */
export interface Ctx {
  view: ViewState;
  now: number;
  project: string;
  range: Range;
  iso: { from: string; to: string };
  filters: ApiFilter[];
  /** Changes whenever any of the above does: the key of the pages' async loads. */
  key: string;
}

export function makeCtx(view: ViewState, now: number, project: string): Ctx {
  const range = resolveRange(view, now);
  const filters = apiFilters(view);
  return { view, now, project, range, iso: isoRange(range), filters, key: JSON.stringify([project, range, filters]) };
}

export const DIMENSIONS: Array<[string, string]> = [
  ["route", "Route"],
  ["host", "Host"],
  ["path", "Path"],
  ["country", "Country"],
  ["region", "Region"],
  ["city", "City"],
  ["browser", "Browser"],
  ["browser_version", "Browser version"],
  ["os", "OS"],
  ["os_version", "OS version"],
  ["device_class", "Device"],
  ["effective_type", "Network (effective type)"],
  ["connection_type", "Connection"],
  ["release", "Release"],
  ["environment", "Environment"],
  ["referrer_host", "Referrer"],
  ["navigation_type", "Navigation type"],
];

export function dimensionLabel(dim: string): string {
  const found = DIMENSIONS.find(([d]) => d === dim);
  if (found) return found[1];
  if (dim.startsWith("user_attribute:")) return `User attribute ${dim.slice(15)}`;
  if (dim.startsWith("attribute:")) return `Attribute ${dim.slice(10)}`;
  return dim;
}
