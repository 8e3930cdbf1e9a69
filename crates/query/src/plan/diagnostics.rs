//! The statements of the diagnostic shapes: lists, timelines, error groups. They read
//! every stored session (sampled or kept for an error, a poor vital or another reason)
//! and weigh nothing: they show what was stored.

use super::Statement;
use super::sql::Sql;
use super::units::{Bucketing, Scope, VIEW_LOOKBACK_MS, bucket, filter};
use crate::QueryError;
use crate::model::Dimension;
use crate::query::{ErrorGroupSort, ListKind, ListSort, Order};

/// The bound project and range of a diagnostic read.
pub(crate) struct Bounds {
    pub(crate) project: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

impl Bounds {
    pub(crate) fn bind(sql: &mut Sql, scope: &Scope<'_>) -> Self {
        Self {
            project: sql.text(scope.project),
            from: sql.time(scope.range.from.ms()),
            to: sql.time(scope.range.to.ms()),
        }
    }

    /// `"table" alias WHERE` the project and range (no filters).
    pub(crate) fn plain(&self, table: &str, alias: &str) -> String {
        format!(
            "\"{table}\" {alias} WHERE {alias}.project = {} AND {alias}.\"timestamp\" >= {} AND {alias}.\"timestamp\" < {}",
            self.project, self.from, self.to
        )
    }
}

/// `"table" e [navigation join] WHERE` the project, range and the scope's filters.
pub(crate) fn scan(sql: &mut Sql, table: &str, scope: &Scope<'_>, bounds: &Bounds) -> String {
    let mut joins = String::new();
    if table != "view" && scope.filters.iter().any(|f| f.dimension == Dimension::NavigationType) {
        let back = sql.time(scope.range.from.ms().saturating_sub(VIEW_LOOKBACK_MS));
        joins = format!(
            " LEFT JOIN (SELECT x.view_id, max(x.navigation_type) AS navigation_type FROM \"view\" x \
             WHERE x.project = {} AND x.\"timestamp\" >= {back} AND x.\"timestamp\" < {} GROUP BY x.view_id) nav \
             ON nav.view_id = e.view_id",
            bounds.project, bounds.to
        );
    }
    let mut conditions = vec![format!(
        "e.project = {} AND e.\"timestamp\" >= {} AND e.\"timestamp\" < {}",
        bounds.project, bounds.from, bounds.to
    )];
    for f in scope.filters {
        // In parentheses: the SQL parser binds `IS DISTINCT FROM` looser than `AND`.
        conditions.push(format!("({})", filter(sql, f, table)));
    }
    format!("\"{table}\" e{joins} WHERE {}", conditions.join(" AND "))
}

/// Epoch milliseconds of a timestamp column, as a double (exact below 2^53).
fn ms(column: &str) -> String {
    format!("CAST(CAST({column} AS BIGINT) AS DOUBLE)")
}

/// A unique text per event: its view and event id (length-prefixed, so that no two pairs
/// make the same text).
const EVENT_ID: &str = "CAST(length(e.view_id) AS VARCHAR) || ':' || e.view_id || '/' || e.event_id";

/// Where a list page starts: after the row with sort value `k` and id `id`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct After {
    pub(crate) k: f64,
    pub(crate) id: String,
}

/// One page of a list: the `base` rows of `kind` with their sort value `k` and unique
/// `id`, after `after`, sorted by (`k`, `id`), `limit + 1` rows (the extra one says that
/// there is a next page).
pub(crate) fn list(
    kind: ListKind,
    scope: &Scope<'_>,
    sort: ListSort,
    order: Order,
    limit: usize,
    after: Option<&After>,
) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    // Sessions sorted by their views' figures (start, views) and views sorted by their view
    // events' (start, load) are sorted and cut to the page before the figures of their other
    // events (a session's errors and end, a view's final vitals) are joined to them.
    // Sessions by start or by views are cut to the page on that key alone; the caller reads
    // the page's sessions' figures with `session_details`.
    let keys_first = kind == ListKind::Sessions && matches!(sort, ListSort::Time | ListSort::Views);
    let late = match kind {
        ListKind::Sessions if keys_first => None,
        ListKind::Sessions if !matches!(sort, ListSort::Duration | ListSort::Errors) => Some(LateJoin {
            with: session_activity(&bounds, "", ""),
            relation: "act",
            columns: SESSION_ACTIVITY,
            on: "act.session_id = page.session_id",
        }),
        ListKind::Views if matches!(sort, ListSort::Time | ListSort::Load) => Some(LateJoin {
            with: final_vitals(&bounds, "page"),
            relation: "fv",
            columns: FINAL_VITALS,
            on: "fv.view_id = page.view_id",
        }),
        _ => None,
    };
    let (with, k) = match kind {
        ListKind::Sessions if sort == ListSort::Time => (sessions_by_start(&mut sql, scope, &bounds), ms("start")),
        ListKind::Sessions if sort == ListSort::Views => {
            (sessions_by_views(&mut sql, scope, &bounds), "CAST(views AS DOUBLE)".into())
        }
        ListKind::Sessions => (
            sessions(&mut sql, scope, &bounds, late.is_none()),
            match sort {
                ListSort::Duration => format!("{} - {}", ms("end_t"), ms("start")),
                ListSort::Views => "CAST(views AS DOUBLE)".into(),
                ListSort::Errors => "errors".into(),
                _ => ms("start"),
            },
        ),
        ListKind::Views => (
            views(&mut sql, scope, &bounds, late.is_none()),
            match sort {
                ListSort::Lcp => "lcp".into(),
                ListSort::Inp => "inp".into(),
                ListSort::Cls => "cls".into(),
                ListSort::Load => "load_ms".into(),
                _ => ms("start"),
            },
        ),
        ListKind::Errors => {
            let scan = scan(&mut sql, "error", scope, &bounds);
            let base = format!(
                "base AS (SELECT e.\"timestamp\" AS t, e.event_id, e.session_id, e.view_id, e.route, e.error_type, \
                 e.message, e.stack, e.\"source\" AS error_source, coalesce(e.\"count\", 1) AS n, {EVENT_ID} AS id FROM {scan})"
            );
            (base, ms("t"))
        }
        ListKind::Requests => {
            let scan = scan(&mut sql, "request", scope, &bounds);
            let base = format!(
                "base AS (SELECT e.\"timestamp\" AS t, e.event_id, e.session_id, e.view_id, e.method, e.url, e.status, \
                 e.duration, e.failure, e.trace_id, {EVENT_ID} AS id FROM {scan})"
            );
            (base, if sort == ListSort::Duration { "duration".into() } else { ms("t") })
        }
    };
    let (direction, before) = match order {
        Order::Desc => ("DESC", "<"),
        Order::Asc => ("ASC", ">"),
    };
    let mut condition = "k IS NOT NULL".to_owned();
    if let Some(after) = after {
        let (k, id) = (sql.float(after.k), sql.text(&after.id));
        condition.push_str(&format!(" AND (k {before} {k} OR (k = {k} AND id {before} {id}))"));
    }
    let page =
        format!("SELECT * FROM keyed WHERE {condition} ORDER BY k {direction}, id {direction} LIMIT {}", limit + 1);
    let text = match late {
        Some(LateJoin { with: late, relation, columns, on }) => format!(
            "WITH {with}, keyed AS (SELECT *, {k} AS k FROM base), page AS ({page}), {late} \
             SELECT page.*, {columns} FROM page LEFT JOIN {relation} ON {on} ORDER BY k {direction}, id {direction}"
        ),
        None => format!("WITH {with}, keyed AS (SELECT *, {k} AS k FROM base) {page}"),
    };
    Ok(Statement { text, params: sql.params })
}

/// Figures joined to a list's page once it is cut: the `relation` that `with` defines, its
/// `columns` and the join condition `on`.
struct LateJoin {
    with: String,
    relation: &'static str,
    columns: &'static str,
    on: &'static str,
}

/// A session's errors and end from its views (`last_view`) and its other events (`act`).
const SESSION_ACTIVITY: &str = "coalesce(act.errors, 0.0) AS errors, \
    CASE WHEN act.last_t > last_view THEN act.last_t ELSE last_view END AS end_t";

/// Sessions with a page view in the scope: `base(session_id, start, last_view, views,
/// user_id, country, browser, os, device_class, release, sampling_reason, id)`, and with
/// `with_activity` their `errors` and `end_t` too (otherwise the caller joins
/// [`session_activity`] of the sessions it keeps).
fn sessions(sql: &mut Sql, scope: &Scope<'_>, bounds: &Bounds, with_activity: bool) -> String {
    let views = session_figures(&scan(sql, "view", scope, bounds));
    if !with_activity {
        return format!("{views}, base AS (SELECT s.*, s.session_id AS id FROM s)");
    }
    format!(
        "{views}, {}, base AS (SELECT s.*, {SESSION_ACTIVITY}, s.session_id AS id \
           FROM s LEFT JOIN act ON act.session_id = s.session_id)",
        session_activity(bounds, "", "")
    )
}

/// Sessions with a page view in the scope by their first: `base(session_id, start, id)`,
/// one aggregate of two columns (at 10M page views, a week's sessions in 0.3 s where their
/// every figure took 3.7 s).
fn sessions_by_start(sql: &mut Sql, scope: &Scope<'_>, bounds: &Bounds) -> String {
    let scan = scan(sql, "view", scope, bounds);
    format!(
        "base AS (SELECT e.session_id, min(e.\"timestamp\") AS start, e.session_id AS id FROM {scan} \
         GROUP BY e.session_id)"
    )
}

/// Sessions with a page view in the scope by their views: `base(session_id, views, id)`,
/// the distinct views counted by a grouping of (session, view) then one of sessions (at 100M
/// page views a week's sessions in 5.5 s and 4.5 GB, where `count(DISTINCT view_id)` took
/// 10 s and their every figure 28 s and 12 GB).
fn sessions_by_views(sql: &mut Sql, scope: &Scope<'_>, bounds: &Bounds) -> String {
    let scan = scan(sql, "view", scope, bounds);
    format!(
        "base AS (SELECT session_id, count(*) AS views, session_id AS id FROM \
         (SELECT e.session_id, e.view_id FROM {scan} GROUP BY e.session_id, e.view_id) GROUP BY session_id)"
    )
}

/// The figures of the sessions `ids` in the scope, as a sessions list has them
/// (`session_id`, `start`, `last_view`, `views`, `user_id` … `sampling_reason`, `errors`,
/// `end_t`): their rows found by the ids, which the files' session order and statistics
/// narrow to a few pages each (ORs of lists of at most 20, which the pruning takes).
///
/// Every one of these sessions has a view at or after `viewed_from` (epoch ms), so its last
/// view is there too: its actions and requests, which count only for its end, are read from
/// then on (a month's requests took 1.2 s of a month's list at 10M page views; the page's
/// sessions, listed by start, began in its last minutes). Its errors and views are read
/// over the whole range: they are counted.
pub(crate) fn session_details(scope: &Scope<'_>, ids: &[String], viewed_from: i64) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let among = |sql: &mut Sql, column: &str| {
        let lists: Vec<String> = ids
            .chunks(20)
            .map(|chunk| {
                let values: Vec<String> = chunk.iter().map(|id| sql.text(id)).collect();
                format!("{column} IN ({})", values.join(", "))
            })
            .collect();
        format!("({})", lists.join(" OR "))
    };
    let scan = format!("{} AND {}", scan(&mut sql, "view", scope, &bounds), among(&mut sql, "e.session_id"));
    let restrict = format!(" AND {}", among(&mut sql, "x.session_id"));
    let later = format!("{restrict} AND x.\"timestamp\" >= {}", sql.time(viewed_from));
    let text = format!(
        "WITH {}, {} SELECT s.*, {SESSION_ACTIVITY} FROM s LEFT JOIN act ON act.session_id = s.session_id",
        session_figures(&scan),
        session_activity(&bounds, &restrict, &later)
    );
    Ok(Statement { text, params: sql.params })
}

/// `v` and `s(session_id, start, last_view, views, user_id, country, browser, os,
/// device_class, release, sampling_reason)`: the sessions of the view rows `scan` finds.
fn session_figures(scan: &str) -> String {
    format!(
        "v AS (SELECT e.session_id, e.view_id, e.\"timestamp\" AS t, e.user_id, e.country, e.browser, e.os, \
           e.device_class, e.\"release\", e.sampling_reason FROM {scan}), \
         s AS (SELECT session_id, min(t) AS start, max(t) AS last_view, count(DISTINCT view_id) AS views, \
           max(user_id) AS user_id, max(country) AS country, max(browser) AS browser, max(os) AS os, \
           max(device_class) AS device_class, max(\"release\") AS \"release\", max(sampling_reason) AS sampling_reason \
           FROM v GROUP BY session_id)"
    )
}

/// `act(session_id, last_t, errors)`: the last event time and the errors of every session
/// with errors, actions or requests in the range and `errors_where` (errors) or
/// `others_where` (actions and requests): conditions on `x`, after ` AND `; the caller's join
/// keeps its own. Not limited with `IN (SELECT session_id FROM …)`: the engine inlines a CTE
/// at each mention, so each such test would compute the sessions' aggregate again.
fn session_activity(bounds: &Bounds, errors_where: &str, others_where: &str) -> String {
    let activity = |table: &str, n: &str, restrict: &str| {
        format!("SELECT x.session_id, x.\"timestamp\" AS t, {n} AS n FROM {}{restrict}", bounds.plain(table, "x"))
    };
    format!(
        "act AS (SELECT session_id, max(t) AS last_t, sum(n) AS errors FROM ({} UNION ALL {} UNION ALL {}) GROUP BY session_id)",
        activity("error", "CAST(coalesce(x.\"count\", 1) AS DOUBLE)", errors_where),
        activity("action", "0.0", others_where),
        activity("request", "0.0", others_where),
    )
}

/// A view's final LCP, INP and CLS, from `fv`.
const FINAL_VITALS: &str = "fv.lcp, fv.inp, fv.cls";

/// Views with a view event in the scope, from their latest view event: `base(view_id,
/// session_id, route, page_url, navigation_type, load_ms, start, id)`, and with
/// `with_vitals` their final `lcp`, `inp` and `cls` too (otherwise the caller joins
/// [`final_vitals`] of the views it keeps). Windows, not `last_value(… ORDER BY …)`
/// aggregates: those were faster at 3M page views but held two to three times the memory.
fn views(sql: &mut Sql, scope: &Scope<'_>, bounds: &Bounds, with_vitals: bool) -> String {
    let scan = scan(sql, "view", scope, bounds);
    let views = format!(
        "v AS (SELECT e.view_id, e.session_id, e.route, e.page_url, e.navigation_type, e.\"load\" AS load_ms, \
           e.\"timestamp\" AS t, e.received_at AS r, e.event_id FROM {scan}), \
         lv AS (SELECT view_id, session_id, route, page_url, navigation_type, load_ms, start FROM (SELECT *, \
           row_number() OVER (PARTITION BY view_id ORDER BY t DESC, r DESC, event_id DESC) AS rn, \
           min(t) OVER (PARTITION BY view_id) AS start FROM v) WHERE rn = 1)"
    );
    if !with_vitals {
        return format!("{views}, base AS (SELECT lv.*, lv.view_id AS id FROM lv)");
    }
    format!(
        "{views}, {}, base AS (SELECT lv.*, {FINAL_VITALS}, lv.view_id AS id FROM lv LEFT JOIN fv ON fv.view_id = lv.view_id)",
        final_vitals(bounds, "lv")
    )
}

/// `fv(view_id, lcp, inp, cls)`: the final LCP, INP and CLS (latest report) of the views of
/// the relation `views`.
fn final_vitals(bounds: &Bounds, views: &str) -> String {
    let vital = |name: &str| format!("max(CASE WHEN name = '{name}' THEN val END) AS {name}");
    format!(
        "fv AS (SELECT view_id, {}, {}, {} FROM (SELECT x.view_id, x.\"name\" AS name, x.\"value\" AS val, \
           row_number() OVER (PARTITION BY x.view_id, x.\"name\" ORDER BY x.\"timestamp\" DESC, x.received_at DESC, x.event_id DESC) AS rn \
           FROM {} AND x.\"name\" IN ('lcp', 'inp', 'cls') AND x.view_id IN (SELECT view_id FROM {views})) \
           WHERE rn = 1 GROUP BY view_id)",
        vital("lcp"),
        vital("inp"),
        vital("cls"),
        bounds.plain("vital", "x"),
    )
}

/// The errors of the scope with their fingerprint: `errs(fp, …)`, optionally of one group.
fn errors(sql: &mut Sql, scope: &Scope<'_>, bounds: &Bounds, fingerprint: Option<&str>) -> String {
    let scan = scan(sql, "error", scope, bounds);
    let one = fingerprint.map(|fp| format!(" WHERE fp = {}", sql.text(fp))).unwrap_or_default();
    format!(
        "all_errs AS (SELECT {}(e.error_type, e.message, e.stack) AS fp, e.error_type, e.message, e.session_id, \
           e.view_id, e.event_id, e.user_id, e.\"timestamp\" AS t, e.\"release\", e.route, e.browser, \
           CAST(coalesce(e.\"count\", 1) AS DOUBLE) AS n FROM {scan}), \
         {ERRORS_TABLE} AS (SELECT * FROM all_errs{one})",
        crate::udf::FINGERPRINT
    )
}

/// The errors of the range with what their groups need (`fp, error_type, message,
/// session_id, user_id, t, release, route, browser, n`): read and fingerprinted once, then
/// grouped by [`error_groups`] over [`ERRORS_TABLE`] (the engine would read and fingerprint
/// them again for each place the grouping statement names them).
pub(crate) fn error_rows(scope: &Scope<'_>) -> Statement {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let errs = errors(&mut sql, scope, &bounds, None);
    let text = format!(
        "WITH {errs} SELECT fp, error_type, message, session_id, user_id, t, \"release\", route, browser, n FROM errs"
    );
    Statement { text, params: sql.params }
}

/// The table [`error_groups`] reads when given no scope: the rows of [`error_rows`].
pub(crate) const ERRORS_TABLE: &str = "errs";

/// Error groups: `fp, error_type, message, count, events, sessions, users, first_seen,
/// last_seen, releases, top_route, top_browser, total_groups`, sorted, `limit` rows; over the
/// errors of `scope` (one `fingerprint`'s or all), or with no scope over [`ERRORS_TABLE`].
pub(crate) fn error_groups(
    scope: Option<&Scope<'_>>,
    fingerprint: Option<&str>,
    sort: ErrorGroupSort,
    limit: usize,
) -> Statement {
    let mut sql = Sql::default();
    let errs = match scope {
        Some(scope) => {
            let bounds = Bounds::bind(&mut sql, scope);
            format!("{}, ", errors(&mut sql, scope, &bounds, fingerprint))
        }
        None => String::new(),
    };
    let top = |column: &str| {
        format!(
            "top_{column} AS (SELECT fp, {column} FROM (SELECT fp, {column}, row_number() OVER \
               (PARTITION BY fp ORDER BY c DESC, {column} ASC NULLS LAST) AS rn \
               FROM (SELECT fp, {column}, sum(n) AS c FROM {ERRORS_TABLE} GROUP BY fp, {column})) WHERE rn = 1)"
        )
    };
    let sort = match sort {
        ErrorGroupSort::Count => "g.\"count\"",
        ErrorGroupSort::Sessions => "g.sessions",
        ErrorGroupSort::Users => "g.users",
        ErrorGroupSort::LastSeen => "g.last_seen",
    };
    let text = format!(
        "WITH {errs}\
         g AS (SELECT fp, max(error_type) AS error_type, min(message) AS message, sum(n) AS \"count\", count(*) AS events, \
           count(DISTINCT session_id) AS sessions, count(DISTINCT user_id) AS users, min(t) AS first_seen, \
           max(t) AS last_seen, array_agg(DISTINCT \"release\") AS releases FROM {ERRORS_TABLE} GROUP BY fp), \
         {}, {} \
         SELECT g.*, top_route.route AS top_route, top_browser.browser AS top_browser, count(*) OVER () AS total_groups \
         FROM g LEFT JOIN top_route ON top_route.fp = g.fp LEFT JOIN top_browser ON top_browser.fp = g.fp \
         ORDER BY {sort} DESC, g.fp ASC LIMIT {limit}",
        top("route"),
        top("browser"),
    );
    Statement { text, params: sql.params }
}

/// One group's occurrences per bucket: `b, count, events`.
pub(crate) fn error_series(
    scope: &Scope<'_>,
    fingerprint: &str,
    bucketing: &Bucketing<'_>,
) -> Result<Statement, QueryError> {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let errs = errors(&mut sql, scope, &bounds, Some(fingerprint));
    // `bucket` reads `e."timestamp"`.
    let b = bucket(bucketing)?;
    let text = format!(
        "WITH {errs} SELECT {b} AS b, sum(e.n) AS \"count\", count(*) AS events \
         FROM (SELECT t AS \"timestamp\", n FROM errs) e GROUP BY 1 ORDER BY 1"
    );
    Ok(Statement { text, params: sql.params })
}

/// One group's latest `samples` events with their stack.
pub(crate) fn error_samples(scope: &Scope<'_>, fingerprint: &str, samples: usize) -> Statement {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let scan = scan(&mut sql, "error", scope, &bounds);
    let fp = sql.text(fingerprint);
    let text = format!(
        "SELECT * FROM (SELECT {}(e.error_type, e.message, e.stack) AS fp, e.\"timestamp\" AS t, e.event_id, \
           e.session_id, e.view_id, e.route, e.page_url, e.message, e.stack, e.source_url, e.line, e.\"column\", \
           e.browser, e.os, e.\"release\", e.user_id, {EVENT_ID} AS id FROM {scan}) \
         WHERE fp = {fp} ORDER BY t DESC, id DESC LIMIT {samples}",
        crate::udf::FINGERPRINT
    );
    Statement { text, params: sql.params }
}

/// The events of one session in the range, from `table`, with `columns` (over `e`), in
/// time order, at most `limit`; vitals and views keep their final report per view (and
/// name), views at their first report's time.
pub(crate) fn timeline(scope: &Scope<'_>, session: &str, table: &str, columns: &str, limit: usize) -> Statement {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let session = sql.text(session);
    let from = format!("{} AND e.session_id = {session}", bounds.plain(table, "e"));
    let common = "e.\"timestamp\" AS t, e.received_at AS r, e.event_id, e.view_id, e.route";
    let text = match table {
        "view" | "vital" => {
            let partition = if table == "vital" { "e.view_id, e.\"name\"" } else { "e.view_id" };
            format!(
                "SELECT * FROM (SELECT {common}, {columns}, \
                   row_number() OVER (PARTITION BY {partition} ORDER BY e.\"timestamp\" DESC, e.received_at DESC, e.event_id DESC) AS rn, \
                   min(e.\"timestamp\") OVER (PARTITION BY {partition}) AS first_t FROM {from}) \
                 WHERE rn = 1 ORDER BY {}, event_id LIMIT {limit}",
                if table == "view" { "first_t" } else { "t" }
            )
        }
        _ => format!("SELECT {common}, {columns} FROM {from} ORDER BY t, view_id, event_id LIMIT {limit}"),
    };
    Statement { text, params: sql.params }
}

/// The context of one session: its latest view event in the range.
pub(crate) fn session_context(scope: &Scope<'_>, session: &str) -> Statement {
    let mut sql = Sql::default();
    let bounds = Bounds::bind(&mut sql, scope);
    let session = sql.text(session);
    let text = format!(
        "SELECT e.browser, e.browser_version, e.os, e.os_version, e.device_class, e.device_model, e.country, e.region, \
           e.city, e.\"release\", e.environment, e.user_id, e.sampling_reason, e.sample_rate \
         FROM {} AND e.session_id = {session} ORDER BY e.\"timestamp\" DESC, e.received_at DESC, e.event_id DESC LIMIT 1",
        bounds.plain("view", "e")
    );
    Statement { text, params: sql.params }
}
