//! Lists, a page at a time: keyset pagination on (sort value, unique id), never an
//! offset, so that rows inserted between two pages neither repeat nor hide a row that
//! was already there. The cursor is the last row's key, opaque to the client (hex of a
//! small JSON object) and tied to the list's sort and order.

use std::collections::HashMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use super::{collect, floats, instants, integers, texts};
use crate::fingerprint::fingerprint;
use crate::model::TimeRange;
use crate::plan::Scope;
use crate::plan::diagnostics::{self, After};
use crate::query::{ListKind, ListQuery, ListSort, Order};
use crate::result::{ErrorRow, ListResult, RequestRow, SessionRow, ViewRow};
use crate::{QueryError, Timestamp};

/// The key of the last row of a page, and what it is a key of.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    list: String,
    sort: String,
    order: String,
    k: f64,
    id: String,
}

fn order_name(order: Order) -> &'static str {
    match order {
        Order::Desc => "desc",
        Order::Asc => "asc",
    }
}

fn list_name(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Sessions => "sessions",
        ListKind::Views => "views",
        ListKind::Errors => "errors",
        ListKind::Requests => "requests",
    }
}

fn encode(kind: ListKind, query: &ListQuery, after: After) -> String {
    let cursor = Cursor {
        list: list_name(kind).into(),
        sort: query.sort_by.as_str().into(),
        order: order_name(query.order).into(),
        k: after.k,
        id: after.id,
    };
    let json = serde_json::to_vec(&cursor).unwrap_or_default();
    json.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(kind: ListKind, query: &ListQuery, text: &str) -> Result<After, QueryError> {
    let invalid = || QueryError::invalid("cursor", "not a cursor of this list: pass a `next_cursor` as it came");
    if !text.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|hex| u8::from_str_radix(hex, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor.list != list_name(kind) || !cursor.k.is_finite() {
        return Err(invalid());
    }
    if cursor.sort != query.sort_by.as_str() || cursor.order != order_name(query.order) {
        return Err(QueryError::invalid(
            "cursor",
            "this cursor belongs to another sort or order: start again without a cursor",
        ));
    }
    Ok(After { k: cursor.k, id: cursor.id })
}

/// One page of `kind`: its rows and the key of each.
async fn page(
    context: &SessionContext,
    project: &str,
    kind: ListKind,
    query: &ListQuery,
) -> Result<(Vec<RecordBatch>, Vec<After>), QueryError> {
    let after = query.cursor.as_deref().map(|text| decode(kind, query, text)).transpose()?;
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: false };
    let statement = diagnostics::list(kind, &scope, query.sort_by, query.order, query.limit, after.as_ref())?;
    let batches = collect(context, statement).await?;
    let mut keys = Vec::new();
    for batch in &batches {
        let (k, id) = (floats(batch, "k")?, texts(batch, "id")?);
        keys.extend(
            k.into_iter().zip(id).map(|(k, id)| After { k: k.unwrap_or_default(), id: id.unwrap_or_default() }),
        );
    }
    Ok((batches, keys))
}

/// The rows past the limit are dropped, and the last row kept makes the next cursor.
fn finish<T>(kind: ListKind, query: &ListQuery, mut rows: Vec<T>, mut keys: Vec<After>) -> ListResult<T> {
    if rows.len() <= query.limit {
        return ListResult { rows, next_cursor: None };
    }
    rows.truncate(query.limit);
    keys.truncate(query.limit);
    let next_cursor = keys.pop().map(|after| encode(kind, query, after));
    ListResult { rows, next_cursor }
}

pub(super) fn time(value: Option<i64>) -> Timestamp {
    Timestamp(value.unwrap_or_default())
}

pub(super) fn count(value: Option<i64>) -> u64 {
    value.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

pub(super) async fn sessions(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
) -> Result<ListResult<SessionRow>, QueryError> {
    // By start or by views, a page holds only the sessions' ids: their figures come next,
    // read for those sessions alone.
    let by_start = query.sort_by == ListSort::Time;
    if by_start && let Some(result) = sessions_by_start_in_a_day(context, project, query).await? {
        return Ok(result);
    }
    let (batches, keys) = page(context, project, ListKind::Sessions, query).await?;
    if !matches!(query.sort_by, ListSort::Time | ListSort::Views) {
        let rows = session_rows(&batches)?;
        return Ok(finish(ListKind::Sessions, query, rows, keys));
    }
    let viewed_from = if by_start { first_start(&keys, query) } else { query.range.from.ms() };
    let (rows, keys) = with_session_details(context, project, query, &batches, keys, viewed_from).await?;
    Ok(finish(ListKind::Sessions, query, rows, keys))
}

/// How much of the range a sessions list by start reads first.
const FIRST_WINDOW_MS: i64 = 24 * 3_600_000;

/// A page of sessions by start found in the day of the range it begins with (the last day
/// before the cursor, newest first; the first day after it, oldest first) — at 10M page
/// views a week's sessions take seconds to aggregate, a day's a fraction — or none when
/// the day may not hold the page's answer. A session's start there is its first view in
/// the day; the page is kept only when it is full and every session on it has the same
/// start over the whole range (its figures are read over the whole range anyway). Then no
/// other session can start later (or, oldest first, earlier): one with a view in the day
/// starts at or before its first one there, and one without starts outside the day.
async fn sessions_by_start_in_a_day(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
) -> Result<Option<ListResult<SessionRow>>, QueryError> {
    let after = query.cursor.as_deref().map(|text| decode(ListKind::Sessions, query, text)).transpose()?;
    let range = query.range;
    let window = match (query.order, after) {
        (Order::Desc, after) => {
            let anchor = after.map_or(range.to.ms(), |after| after.k as i64 + 1);
            TimeRange { from: Timestamp(anchor - FIRST_WINDOW_MS), to: range.to }
        }
        (Order::Asc, after) => {
            let anchor = after.map_or(range.from.ms(), |after| after.k as i64);
            TimeRange { from: range.from, to: Timestamp(anchor + FIRST_WINDOW_MS) }
        }
    };
    if window.from.ms() <= range.from.ms() && window.to.ms() >= range.to.ms() {
        return Ok(None);
    }
    let in_window = ListQuery { range: window, ..query.clone() };
    let (batches, keys) = page(context, project, ListKind::Sessions, &in_window).await?;
    if keys.len() <= query.limit {
        return Ok(None);
    }
    let starts: Vec<f64> = keys.iter().map(|key| key.k).collect();
    let viewed_from = first_start(&keys, query);
    let (rows, keys) = with_session_details(context, project, query, &batches, keys, viewed_from).await?;
    let same =
        rows.len() == starts.len() && rows.iter().zip(&starts).all(|(row, start)| row.start.ms() as f64 == *start);
    Ok(same.then(|| finish(ListKind::Sessions, query, rows, keys)))
}

/// The earliest start of a page of sessions by start (`keys`): each has a view then or
/// later, so its last view is there too.
fn first_start(keys: &[After], query: &ListQuery) -> i64 {
    keys.iter().map(|key| key.k as i64).min().unwrap_or(query.range.from.ms())
}

/// The figures of a page of sessions (`batches` hold their ids, `keys` their keys), read
/// for those sessions alone over the query's range, each having a view at or after
/// `viewed_from`; a session erased between the two reads is left out, with its key.
async fn with_session_details(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
    batches: &[RecordBatch],
    keys: Vec<After>,
    viewed_from: i64,
) -> Result<(Vec<SessionRow>, Vec<After>), QueryError> {
    let mut ids = Vec::new();
    for batch in batches {
        ids.extend(texts(batch, "session_id")?.into_iter().map(Option::unwrap_or_default));
    }
    if ids.is_empty() {
        return Ok((Vec::new(), keys));
    }
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: false };
    let details = collect(context, diagnostics::session_details(&scope, &ids, viewed_from)?).await?;
    let mut by_id: HashMap<String, SessionRow> =
        session_rows(&details)?.into_iter().map(|row| (row.session_id.clone(), row)).collect();
    Ok(ids.iter().zip(keys).filter_map(|(id, key)| Some((by_id.remove(id)?, key))).unzip())
}

/// The sessions of a list's batches (`session_id`, `start`, `end_t`, `views`, `errors`, …).
fn session_rows(batches: &[RecordBatch]) -> Result<Vec<SessionRow>, QueryError> {
    let mut rows = Vec::new();
    for batch in batches {
        let ids = texts(batch, "session_id")?;
        let (start, end) = (instants(batch, "start")?, instants(batch, "end_t")?);
        let (views, errors) = (integers(batch, "views")?, integers(batch, "errors")?);
        let [user, country, browser, os, device, release, reason] =
            ["user_id", "country", "browser", "os", "device_class", "release", "sampling_reason"]
                .map(|name| texts(batch, name));
        let (user, country, browser, os, device, release, reason) =
            (user?, country?, browser?, os?, device?, release?, reason?);
        for i in 0..batch.num_rows() {
            rows.push(SessionRow {
                session_id: ids[i].clone().unwrap_or_default(),
                start: time(start[i]),
                end: time(end[i]),
                views: count(views[i]),
                errors: count(errors[i]),
                user_id: user[i].clone(),
                country: country[i].clone(),
                browser: browser[i].clone(),
                os: os[i].clone(),
                device_class: device[i].clone(),
                release: release[i].clone(),
                sampling_reason: reason[i].clone(),
            });
        }
    }
    Ok(rows)
}

pub(super) async fn views(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
) -> Result<ListResult<ViewRow>, QueryError> {
    let (batches, keys) = page(context, project, ListKind::Views, query).await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let [view, session, route, url, navigation] =
            ["view_id", "session_id", "route", "page_url", "navigation_type"].map(|name| texts(batch, name));
        let (view, session, route, url, navigation) = (view?, session?, route?, url?, navigation?);
        let start = instants(batch, "start")?;
        let [lcp, inp, cls, load] = ["lcp", "inp", "cls", "load_ms"].map(|name| floats(batch, name));
        let (lcp, inp, cls, load) = (lcp?, inp?, cls?, load?);
        for i in 0..batch.num_rows() {
            rows.push(ViewRow {
                view_id: view[i].clone().unwrap_or_default(),
                session_id: session[i].clone().unwrap_or_default(),
                route: route[i].clone(),
                url: url[i].clone(),
                start: time(start[i]),
                navigation_type: navigation[i].clone(),
                lcp: lcp[i],
                inp: inp[i],
                cls: cls[i],
                load: load[i],
            });
        }
    }
    Ok(finish(ListKind::Views, query, rows, keys))
}

pub(super) async fn errors(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
) -> Result<ListResult<ErrorRow>, QueryError> {
    let (batches, keys) = page(context, project, ListKind::Errors, query).await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let [event, session, view, route, kind, message, stack, source] =
            ["event_id", "session_id", "view_id", "route", "error_type", "message", "stack", "error_source"]
                .map(|name| texts(batch, name));
        let (event, session, view, route, kind, message, stack, source) =
            (event?, session?, view?, route?, kind?, message?, stack?, source?);
        let (t, n) = (instants(batch, "t")?, integers(batch, "n")?);
        for i in 0..batch.num_rows() {
            rows.push(ErrorRow {
                time: time(t[i]),
                event_id: event[i].clone().unwrap_or_default(),
                session_id: session[i].clone().unwrap_or_default(),
                view_id: view[i].clone().unwrap_or_default(),
                route: route[i].clone(),
                fingerprint: fingerprint(kind[i].as_deref(), message[i].as_deref(), stack[i].as_deref()),
                error_type: kind[i].clone(),
                message: message[i].clone(),
                source: source[i].clone(),
                count: count(n[i]),
            });
        }
    }
    Ok(finish(ListKind::Errors, query, rows, keys))
}

pub(super) async fn requests(
    context: &SessionContext,
    project: &str,
    query: &ListQuery,
) -> Result<ListResult<RequestRow>, QueryError> {
    let (batches, keys) = page(context, project, ListKind::Requests, query).await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let [event, session, view, method, url, failure, trace] =
            ["event_id", "session_id", "view_id", "method", "url", "failure", "trace_id"]
                .map(|name| texts(batch, name));
        let (event, session, view, method, url, failure, trace) =
            (event?, session?, view?, method?, url?, failure?, trace?);
        let (t, status, duration) = (instants(batch, "t")?, integers(batch, "status")?, floats(batch, "duration")?);
        for i in 0..batch.num_rows() {
            rows.push(RequestRow {
                time: time(t[i]),
                event_id: event[i].clone().unwrap_or_default(),
                session_id: session[i].clone().unwrap_or_default(),
                view_id: view[i].clone().unwrap_or_default(),
                method: method[i].clone(),
                url: url[i].clone(),
                status: status[i].and_then(|s| u32::try_from(s).ok()),
                duration: duration[i],
                failure: failure[i].clone(),
                trace_id: trace[i].clone(),
            });
        }
    }
    Ok(finish(ListKind::Requests, query, rows, keys))
}
