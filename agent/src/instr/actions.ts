// Clicks and taps as `action` events, with a readable target name and the frustration
// signals of frustration.ts. An action is sent one second after its first click, once it is
// known whether more clicks (rage), a reaction (not dead) or an error followed.

import type { Core } from "../agent";
import { add, DEAD_WINDOW_MS, joins, startCluster, verdict, type Cluster } from "../frustration";
import type { ActionType } from "../protocol.gen";
import { cut, now, on, safe, selector } from "../util";

/**
 * Elements a click is meant for: controls, and elements with a widget role. Not any `[role]`:
 * landmarks and structure (main, navigation, region, list, dialog…) would take a click on
 * their plain text, which then becomes a dead click named by the landmark's whole text.
 */
const INTERACTIVE =
  "a,button,input,select,textarea,label,summary,[onclick],[data-sl-name],[role^=menuitem],[role=button],[role=link],[role=checkbox],[role=option],[role=radio],[role=switch],[role=tab],[role=treeitem],[role=combobox]";
/** Clicks on these focus or edit instead of triggering something: never dead. */
const NOT_DEAD = /^(input|textarea|select|label)$/;

/**
 * A readable name for the element: `data-sl-name`, `aria-label`, `title` or `alt`, else the
 * text of an interactive element (buttons, links: UI labels), never what a user typed. With
 * masking (`maskActionText`, or inside `[data-sl-mask]`) text is never used.
 */
export function targetName(el: Element, maskText: boolean): string {
  for (const a of ["data-sl-name", "aria-label", "title", "alt"]) {
    const v = el.getAttribute(a)?.trim();
    if (v) return cut(v, 100);
  }
  const tag = el.localName;
  const masked = maskText || !!el.closest("[data-sl-mask]");
  const input = el as HTMLInputElement;
  const text =
    tag === "input" ? (/^(button|submit|reset)$/.test(input.type) ? input.value : "") : /^(textarea|select)$/.test(tag) ? "" : el.matches(INTERACTIVE) ? el.textContent : "";
  const t = (text || "").replace(/\s+/g, " ").trim();
  return t && !masked ? cut(t, 100) : el.id ? "#" + el.id : tag + (masked && t ? " [masked]" : "");
}

export function actions(core: Core): void {
  let pending: { k: Cluster; el: Element; type: ActionType; t: number } | undefined;
  let watcher: MutationObserver | undefined;

  const finish = () => {
    const p = pending;
    if (!p) return;
    pending = undefined;
    watcher?.disconnect();
    // Dead only where a click promises something: interactive elements other than form fields.
    const v = verdict(p.k, p.el.matches(INTERACTIVE) && !NOT_DEAD.test(p.el.localName) && !(p.el as HTMLElement).isContentEditable);
    core.emit(
      {
        kind: "action",
        action_type: p.type,
        target: targetName(p.el, core.cfg.maskText),
        selector: selector(p.el),
        rage: v.rage,
        dead: v.dead,
        error: v.error,
        count: p.k.count,
      },
      p.t,
    );
  };

  core.listen("reaction", () => pending && (pending.k.reaction = true));
  core.listen("error", () => pending && (pending.k.error = true));

  on(document, "click", (e: MouseEvent & { pointerType?: string }) => {
    const raw = e.target as Element | null;
    if (!raw || raw.nodeType !== 1) return;
    const el = raw.closest(INTERACTIVE) || raw;
    const click = { t: now(), x: e.clientX, y: e.clientY };
    if (pending && pending.el === el && joins(pending.k, click)) return add(pending.k, click);
    finish();
    pending = { k: startCluster(click), el, type: e.pointerType === "touch" ? "tap" : "click", t: click.t };
    try {
      // The first change is all it needs to know: it stops watching then (no callback per
      // mutation of a busy page for the rest of the second).
      watcher ||= new MutationObserver(
        safe(() => {
          if (pending) pending.k.reaction = true;
          watcher!.disconnect();
        }),
      );
      watcher.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    } catch {
      pending.k.reaction = true;
    }
    const mine = pending;
    setTimeout(safe(() => pending === mine && finish()), DEAD_WINDOW_MS);
  });
  // A route change or a hide ends the observation early (the core flushes right after).
  core.onEnd(finish);
  on(window, "beforeunload", () => pending && (pending.k.reaction = true));
}
