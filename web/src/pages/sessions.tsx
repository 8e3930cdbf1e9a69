// Sessions: a list (sorted, paged by cursor, narrowed by the filter bar) and one session's
// timeline of views, vitals, actions, errors and requests, with one view's resource waterfall.

import { Fragment } from "preact";
import { useState } from "preact/hooks";

import { query, sql, sqlRows, sqlString } from "../api";
import { sqlWhere } from "../sqlfilter";
import type { Ctx } from "../ctx";
import { describe } from "../derive";
import { formatBytes, formatCount, formatDuration, formatTime } from "../format";
import { RATING_COLOUR, rating } from "../ratings";
import { linkProps, navigate } from "../router";
import { toPage } from "../state";
import type { ListAnswer, SessionRow, TimelineAnswer, TimelineEvent } from "../types";
import { useAsync } from "../ui/async";
import { type Column, Empty, RatingBadge, Section, Show, Table, UrlText } from "../ui/components";
import { Select } from "../ui/select";

const SORTS: Array<[string, string]> = [
  ["time", "Start"],
  ["duration", "Duration"],
  ["views", "Page views"],
  ["errors", "Errors"],
];

export function SessionsPage({ ctx }: { ctx: Ctx }) {
  return ctx.view.detail ? <SessionTimeline ctx={ctx} sessionId={ctx.view.detail} /> : <SessionList ctx={ctx} />;
}

/**
 * Sessions of one user, or with rage clicks: the list shape has no such filter, so these are
 * found with SQL over `view` (and `action`), newest first, at most 100.
 */
function searchSessions(ctx: Ctx, user: string | undefined, rage: boolean, signal: AbortSignal): Promise<SessionRow[]> {
  const { where } = sqlWhere(ctx.view, ctx.range);
  const conditions = [where];
  if (user) conditions.push(`user_id = ${sqlString(user)}`);
  if (rage) conditions.push(`session_id IN (SELECT session_id FROM action WHERE rage AND ${where})`);
  return sql(
    ctx.project,
    `SELECT session_id, min(timestamp) AS start, max(timestamp) AS "end", count(DISTINCT view_id) AS views,
            max(user_id) AS user_id, max(country) AS country, max(browser) AS browser, max(os) AS os,
            max(device_class) AS device_class, max(release) AS release
     FROM view WHERE ${conditions.join(" AND ")} GROUP BY session_id ORDER BY start DESC LIMIT 100`,
    signal,
    100,
  ).then((answer) =>
    sqlRows(answer).map((r) => ({ ...(r as unknown as SessionRow), errors: Number.NaN, sampling_reason: null })),
  );
}

/** What users rage-click: target, element and route, with the clicks and the sessions. */
function RageTargets({ ctx }: { ctx: Ctx }) {
  const result = useAsync(`${ctx.key}|rage-targets`, (signal) =>
    sql(
      ctx.project,
      `SELECT target, selector, route, count(*) AS clicks, count(DISTINCT session_id) AS sessions
       FROM action WHERE rage AND ${sqlWhere(ctx.view, ctx.range).where}
       GROUP BY target, selector, route ORDER BY clicks DESC`,
      signal,
      20,
    ).then(sqlRows),
  );
  const columns: Array<Column<Record<string, unknown>>> = [
    { key: "target", label: "Target", render: (r) => (r.target === null ? "–" : String(r.target)), sort: (r) => String(r.target) },
    { key: "selector", label: "Element", render: (r) => <code>{r.selector === null ? "–" : String(r.selector)}</code> },
    { key: "route", label: "Route", render: (r) => (r.route === null ? "(none)" : String(r.route)), sort: (r) => String(r.route) },
    { key: "clicks", label: "Rage clicks", numeric: true, render: (r) => formatCount(Number(r.clicks)), sort: (r) => Number(r.clicks) },
    { key: "sessions", label: "Sessions", numeric: true, render: (r) => formatCount(Number(r.sessions)), sort: (r) => Number(r.sessions) },
  ];
  return (
    <Section title="Rage-click targets">
      <Show result={result} what="rage clicks">
        {(rows) =>
          !rows.length ? (
            <Empty>No rage click in this time range with these filters.</Empty>
          ) : (
            <div data-testid="rage-targets">
              <Table columns={columns} rows={rows} initialSort={{ key: "clicks", desc: true }} />
              <p class="muted small">What users clicked three times or more within a second, most clicked first (at most 20); their sessions are listed below.</p>
            </div>
          )
        }
      </Show>
    </Section>
  );
}

function SessionList({ ctx }: { ctx: Ctx }) {
  const sort = SORTS.some(([s]) => s === ctx.view.params.sort) ? ctx.view.params.sort! : "time";
  const cursor = ctx.view.params.cursor;
  const user = ctx.view.params.user;
  const rage = ctx.view.params.rage === "1";
  const searching = !!user || rage;
  const [previous, setPrevious] = useState<string[]>([]);
  const [userText, setUserText] = useState(user ?? "");
  const result = useAsync(`${ctx.key}|sessions|${sort}|${cursor ?? ""}|${user ?? ""}|${rage}`, (signal) =>
    searching
      ? searchSessions(ctx, user, rage, signal).then((rows) => ({ rows, next_cursor: null }))
      : query<ListAnswer<SessionRow>>(
          ctx.project,
          { shape: "session_list", range: ctx.iso, filters: ctx.filters, sort_by: sort, limit: 50, ...(cursor ? { cursor } : {}) },
          signal,
        ),
  );
  const go = (params: Record<string, string>) => navigate({ ...ctx.view, params });
  const columns: Array<Column<SessionRow>> = [
    {
      key: "start",
      label: "Start",
      render: (s) => (
        <a {...linkProps(toPage(ctx.view, "sessions", s.session_id))} onClick={(e) => e.stopPropagation()}>
          {formatTime(s.start)}
        </a>
      ),
      sort: (s) => s.start,
    },
    {
      key: "duration",
      label: "Duration",
      numeric: true,
      render: (s) => formatDuration(Date.parse(s.end) - Date.parse(s.start)),
      sort: (s) => Date.parse(s.end) - Date.parse(s.start),
    },
    { key: "views", label: "Page views", numeric: true, render: (s) => formatCount(s.views), sort: (s) => s.views },
    { key: "errors", label: "Errors", numeric: true, render: (s) => formatCount(s.errors), sort: (s) => s.errors },
    { key: "user", label: "User", render: (s) => s.user_id ?? "–", sort: (s) => s.user_id },
    { key: "country", label: "Country", render: (s) => s.country ?? "–", sort: (s) => s.country },
    { key: "browser", label: "Browser", render: (s) => `${s.browser ?? "–"} / ${s.os ?? "–"}`, sort: (s) => s.browser },
    { key: "device", label: "Device", render: (s) => s.device_class ?? "–", sort: (s) => s.device_class },
    { key: "release", label: "Release", render: (s) => s.release ?? "–", sort: (s) => s.release },
  ];
  return (
    <>
      <div class="toolbar">
        <Select label="Sort by" name="sort" value={sort} options={SORTS} disabled={searching} onChange={(sort) => go({ sort })} />
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const { user: _u, cursor: _c, ...rest } = ctx.view.params;
            go(userText.trim() ? { ...rest, user: userText.trim() } : rest);
          }}
        >
          <label>
            User id
            <input name="user" placeholder="u_48213" value={userText} onInput={(e) => setUserText((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Find</button>
        </form>
        <label class="check">
          <input
            type="checkbox"
            name="rage"
            checked={rage}
            onChange={(e) => {
              const { rage: _r, cursor: _c, ...rest } = ctx.view.params;
              go((e.target as HTMLInputElement).checked ? { ...rest, rage: "1" } : rest);
            }}
          />{" "}
          only sessions with rage clicks
        </label>
        <p class="muted small">Narrow the list with the filters above (country, browser, route, release…); sort by errors or duration to find troubled sessions.</p>
      </div>
      {rage && <RageTargets ctx={ctx} />}
      <Show result={result} what="sessions">
        {(answer) =>
          !answer.rows.length ? (
            <Empty>No session in this time range with these filters. Widen the range or remove a filter.</Empty>
          ) : (
            <Section title={searching ? `Sessions${user ? ` of user ${user}` : ""}${rage ? " with rage clicks" : ""}, newest first` : "Sessions"}>
              <Table
                columns={columns}
                rows={answer.rows}
                rowLabel={(s) => `Open session ${s.session_id}`}
                onRow={(s) => navigate(toPage(ctx.view, "sessions", s.session_id))}
              />
              <div class="pager">
                <button
                  type="button"
                  disabled={!cursor}
                  onClick={() => {
                    const back = previous[previous.length - 1];
                    setPrevious(previous.slice(0, -1));
                    go(back ? { sort, cursor: back } : { sort });
                  }}
                >
                  ← Newer page
                </button>
                <button
                  type="button"
                  disabled={!answer.next_cursor}
                  onClick={() => {
                    if (cursor) setPrevious([...previous, cursor]);
                    go({ sort, cursor: answer.next_cursor! });
                  }}
                >
                  Next page →
                </button>
              </div>
            </Section>
          )
        }
      </Show>
    </>
  );
}


function SessionTimeline({ ctx, sessionId }: { ctx: Ctx; sessionId: string }) {
  const result = useAsync(`${ctx.project}|${ctx.range.from}|${ctx.range.to}|timeline|${sessionId}`, (signal) =>
    query<TimelineAnswer>(ctx.project, { shape: "session_timeline", range: ctx.iso, session_id: sessionId }, signal),
  );
  const viewId = ctx.view.params.view;
  const [hidden, setHidden] = useState<string[]>([]);
  const columns: Array<Column<TimelineEvent & { offset: number }>> = [
    { key: "offset", label: "At", numeric: true, render: (e) => `+${formatDuration(e.offset)}` },
    { key: "kind", label: "Kind", render: (e) => <span class={`kind ${e.kind}`}>{e.kind.replace(/_/g, " ")}</span> },
    { key: "route", label: "Route", render: (e) => e.route ?? "–" },
    {
      key: "what",
      label: "What",
      render: (e) => (
        <>
          {describe(e)}
          {e.kind === "vital" && (
            <>
              {" "}
              <RatingBadge rating={rating(String(e.name), e.value as number)} />
            </>
          )}
          {(e.kind === "view" || e.kind === "request") && (
            <>
              {" "}
              <UrlText url={e.url as string | null} />
            </>
          )}
        </>
      ),
    },
  ];
  return (
    <>
      <p>
        <a {...linkProps(toPage(ctx.view, "sessions"))}>← All sessions</a>
      </p>
      <Show result={result} what="the session's timeline">
        {(answer) => {
          if (!answer.events.length)
            return <Empty>This session has no events in the selected time range. Widen the range (the session may be older).</Empty>;
          const start = Date.parse(answer.events[0].time);
          const rows = answer.events.map((e) => ({ ...e, offset: Date.parse(e.time) - start }));
          const views = answer.events.filter((e) => e.kind === "view");
          const c = answer.context ?? {};
          return (
            <>
              <Section title={`Session ${sessionId}`}>
                <dl class="kv">
                  <dt>Started</dt>
                  <dd>{formatTime(answer.events[0].time)}</dd>
                  <dt>Duration</dt>
                  <dd>{formatDuration(Date.parse(answer.events[answer.events.length - 1].time) - start)}</dd>
                  <dt>Page views</dt>
                  <dd>{views.length}</dd>
                  <dt>Errors</dt>
                  <dd>{answer.events.filter((e) => e.kind === "error").length}</dd>
                  {Object.entries(c).map(([k, v]) => (
                    <Fragment key={k}>
                      <dt>{k.replace(/_/g, " ")}</dt>
                      <dd>{v === null || v === undefined ? "–" : String(v)}</dd>
                    </Fragment>
                  ))}
                </dl>
                {answer.truncated && <p class="muted">Only the first 5 000 events are shown.</p>}
              </Section>
              <Section
                title="Timeline"
                actions={
                  <div class="tabs" role="group" aria-label="Kinds of events shown">
                    {[...new Set(rows.map((e) => e.kind))].map((kind) => (
                      <button
                        key={kind}
                        type="button"
                        aria-pressed={!hidden.includes(kind)}
                        onClick={() => setHidden(hidden.includes(kind) ? hidden.filter((k) => k !== kind) : [...hidden, kind])}
                      >
                        {kind.replace(/_/g, " ")} ({rows.filter((e) => e.kind === kind).length})
                      </button>
                    ))}
                  </div>
                }
              >
                <Table columns={columns} rows={rows.filter((e) => !hidden.includes(e.kind))} />
              </Section>
              <Section
                title="Resources of one view"
                actions={
                  <Select
                    label="View "
                    name="view"
                    value={viewId ?? views[0]?.view_id ?? ""}
                    options={views.map((v) => [v.view_id, `${formatTime(v.time)} ${v.route ?? ""}`] as const)}
                    onChange={(view) => navigate({ ...ctx.view, params: { ...ctx.view.params, view } }, true)}
                  />
                }
              >
                {views.length ? <Waterfall ctx={ctx} sessionId={sessionId} viewId={viewId ?? views[0].view_id} /> : <Empty>No page view.</Empty>}
              </Section>
            </>
          );
        }}
      </Show>
    </>
  );
}

function Waterfall({ ctx, sessionId, viewId }: { ctx: Ctx; sessionId: string; viewId: string }) {
  const result = useAsync(`${ctx.project}|wf|${sessionId}|${viewId}|${ctx.range.from}|${ctx.range.to}`, (signal) =>
    sql(
      ctx.project,
      `SELECT url, initiator, start, duration, transfer_size FROM resource
       WHERE session_id = ${sqlString(sessionId)} AND view_id = ${sqlString(viewId)}
         AND timestamp >= to_timestamp_millis(${Math.floor(ctx.range.from)}) AND timestamp < to_timestamp_millis(${Math.floor(ctx.range.to)})
       ORDER BY start LIMIT 200`,
      signal,
    ).then(sqlRows),
  );
  return (
    <Show result={result} what="the waterfall">
      {(rows) => {
        if (!rows.length) return <Empty>The agent reported no resources for this view.</Empty>;
        const end = Math.max(...rows.map((r) => Number(r.start) + Number(r.duration)), 1);
        return (
          <table class="data waterfall">
            <thead>
              <tr>
                <th>Resource</th>
                <th>Type</th>
                <th class="num">Start</th>
                <th class="num">Duration</th>
                <th class="num">Size</th>
                <th>Timeline (0 – {formatDuration(end)})</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td>
                    <UrlText url={r.url as string | null} />
                  </td>
                  <td>{String(r.initiator ?? "–")}</td>
                  <td class="num">{formatDuration(Number(r.start))}</td>
                  <td class="num">{formatDuration(Number(r.duration))}</td>
                  <td class="num">{formatBytes(r.transfer_size as number | null)}</td>
                  <td class="wf-cell">
                    <span
                      class="wf-bar"
                      style={{
                        marginLeft: `${(Number(r.start) / end) * 100}%`,
                        width: `${Math.max(0.5, (Number(r.duration) / end) * 100)}%`,
                        background: RATING_COLOUR.good,
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Show>
  );
}
