// The URL is the state: a tiny store over `history` that pages read with `useView()`.

import { useEffect, useState } from "preact/hooks";

import { type ViewState, parseLocation, toUrl } from "./state";

interface Current {
  view: ViewState;
  /** When relative ranges end; refreshed on every navigation and by the refresh button. */
  now: number;
}

let current: Current = read();
const listeners = new Set<() => void>();

function read(): Current {
  return { view: parseLocation(location.pathname, location.search), now: Date.now() };
}

function emit() {
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", () => {
  current = read();
  emit();
});

/** Goes to a state (a new history entry unless `replace`). */
export function navigate(view: ViewState, replace = false): void {
  const url = toUrl(view);
  if (url !== location.pathname + location.search) {
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
  }
  current = { view: parseLocation(location.pathname, location.search), now: Date.now() };
  emit();
  if (!replace) window.scrollTo(0, 0);
}

export function refresh(): void {
  current = { ...current, now: Date.now() };
  emit();
}

export function useView(): Current {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return current;
}

/** An `<a href>` for a state: a real link (open in a new tab works), navigated in place. */
export function linkProps(view: ViewState) {
  const href = toUrl(view);
  return {
    href,
    onClick: (event: MouseEvent) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(view);
    },
  };
}
