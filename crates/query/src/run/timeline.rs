//! One session's timeline: a statement per event kind (they run concurrently), merged in
//! time order, with the session's context from its latest page view.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::prelude::SessionContext;
use futures_util::future::try_join_all;

use super::lists::{count, time};
use super::{collect, column, floats, instants, integers, texts};
use crate::QueryError;
use crate::fingerprint::fingerprint;
use crate::plan::Scope;
use crate::plan::diagnostics;
use crate::query::{MAX_TIMELINE_EVENTS, SessionTimelineQuery};
use crate::result::{SessionInfo, SessionTimelineResult, TimelineDetail, TimelineEvent};

/// The tables read, the columns each needs, in the order events of one instant are listed.
const KINDS: [(&str, &str); 7] = [
    ("view", "e.page_url, e.navigation_type, e.\"load\" AS load_ms"),
    ("vital", "e.\"name\" AS vital, e.\"value\" AS val, e.rating"),
    (
        "action",
        "e.action_type, e.target, e.\"name\" AS action_name, e.rage, e.dead, e.\"error\" AS error_flag, e.\"count\" AS n",
    ),
    ("error", "e.error_type, e.message, e.stack, e.\"source\" AS error_source, e.\"count\" AS n"),
    ("request", "e.method, e.url, e.status, e.duration, e.failure, e.trace_id"),
    ("custom", "e.\"name\" AS custom_name, e.\"value\" AS val"),
    ("long_animation_frame", "e.duration, e.blocking_duration"),
];

pub(super) async fn run(
    context: &SessionContext,
    project: &str,
    query: &SessionTimelineQuery,
) -> Result<SessionTimelineResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &[], rollups: false };
    let reads = KINDS.iter().map(|(table, columns)| {
        let statement = diagnostics::timeline(&scope, &query.session_id, table, columns, MAX_TIMELINE_EVENTS + 1);
        async move { collect(context, statement).await.and_then(|batches| events(table, &batches)) }
    });
    let info = async {
        let batches = collect(context, diagnostics::session_context(&scope, &query.session_id)).await?;
        info(&batches)
    };
    let (kinds, context) = futures_util::try_join!(try_join_all(reads), info)?;
    // Stable: events of one instant keep the kinds' order, then their statement's order.
    let mut events: Vec<(usize, TimelineEvent)> =
        kinds.into_iter().enumerate().flat_map(|(kind, events)| events.into_iter().map(move |e| (kind, e))).collect();
    events.sort_by(|(ka, a), (kb, b)| (a.time, ka).cmp(&(b.time, kb)));
    let truncated = events.len() > MAX_TIMELINE_EVENTS;
    events.truncate(MAX_TIMELINE_EVENTS);
    Ok(SessionTimelineResult {
        session_id: query.session_id.clone(),
        context,
        events: events.into_iter().map(|(_, event)| event).collect(),
        truncated,
    })
}

fn booleans(batch: &RecordBatch, name: &str) -> Result<Vec<bool>, QueryError> {
    let array = column(batch, name)?;
    let flags = array.as_boolean_opt().ok_or_else(|| QueryError::Engine(format!("{name} is not boolean")))?;
    Ok((0..flags.len()).map(|i| flags.is_valid(i) && flags.value(i)).collect())
}

fn events(table: &str, batches: &[RecordBatch]) -> Result<Vec<TimelineEvent>, QueryError> {
    let mut events = Vec::new();
    for batch in batches {
        let t = instants(batch, if table == "view" { "first_t" } else { "t" })?;
        let (events_ids, views, routes) = (texts(batch, "event_id")?, texts(batch, "view_id")?, texts(batch, "route")?);
        let text = |name: &str| texts(batch, name);
        let details: Vec<TimelineDetail> = match table {
            "view" => {
                let (url, navigation, load) = (text("page_url")?, text("navigation_type")?, floats(batch, "load_ms")?);
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::View {
                        url: url[i].clone(),
                        navigation_type: navigation[i].clone(),
                        load: load[i],
                    })
                    .collect()
            }
            "vital" => {
                let (name, value, rating) = (text("vital")?, floats(batch, "val")?, text("rating")?);
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::Vital {
                        name: name[i].clone(),
                        value: value[i],
                        rating: rating[i].clone(),
                    })
                    .collect()
            }
            "action" => {
                let (kind, target, name, n) =
                    (text("action_type")?, text("target")?, text("action_name")?, integers(batch, "n")?);
                let (rage, dead, error) =
                    (booleans(batch, "rage")?, booleans(batch, "dead")?, booleans(batch, "error_flag")?);
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::Action {
                        action_type: kind[i].clone(),
                        target: target[i].clone(),
                        name: name[i].clone(),
                        rage: rage[i],
                        dead: dead[i],
                        error: error[i],
                        count: count(n[i].or(Some(1))),
                    })
                    .collect()
            }
            "error" => {
                let (kind, message, stack, source, n) = (
                    text("error_type")?,
                    text("message")?,
                    text("stack")?,
                    text("error_source")?,
                    integers(batch, "n")?,
                );
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::Error {
                        fingerprint: fingerprint(kind[i].as_deref(), message[i].as_deref(), stack[i].as_deref()),
                        error_type: kind[i].clone(),
                        message: message[i].clone(),
                        source: source[i].clone(),
                        count: count(n[i].or(Some(1))),
                    })
                    .collect()
            }
            "request" => {
                let (method, url, status, duration, failure, trace) = (
                    text("method")?,
                    text("url")?,
                    integers(batch, "status")?,
                    floats(batch, "duration")?,
                    text("failure")?,
                    text("trace_id")?,
                );
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::Request {
                        method: method[i].clone(),
                        url: url[i].clone(),
                        status: status[i].and_then(|s| u32::try_from(s).ok()),
                        duration: duration[i],
                        failure: failure[i].clone(),
                        trace_id: trace[i].clone(),
                    })
                    .collect()
            }
            "custom" => {
                let (name, value) = (text("custom_name")?, floats(batch, "val")?);
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::Custom { name: name[i].clone(), value: value[i] })
                    .collect()
            }
            _ => {
                let (duration, blocking) = (floats(batch, "duration")?, floats(batch, "blocking_duration")?);
                (0..batch.num_rows())
                    .map(|i| TimelineDetail::LongAnimationFrame {
                        duration: duration[i],
                        blocking_duration: blocking[i],
                    })
                    .collect()
            }
        };
        for (i, detail) in details.into_iter().enumerate() {
            events.push(TimelineEvent {
                time: time(t[i]),
                view_id: views[i].clone().unwrap_or_default(),
                event_id: events_ids[i].clone().unwrap_or_default(),
                route: routes[i].clone(),
                detail,
            });
        }
    }
    Ok(events)
}

fn info(batches: &[RecordBatch]) -> Result<Option<SessionInfo>, QueryError> {
    let Some(batch) = batches.iter().find(|batch| batch.num_rows() > 0) else { return Ok(None) };
    let text = |name: &str| texts(batch, name).map(|values| values.into_iter().next().flatten());
    Ok(Some(SessionInfo {
        browser: text("browser")?,
        browser_version: text("browser_version")?,
        os: text("os")?,
        os_version: text("os_version")?,
        device_class: text("device_class")?,
        device_model: text("device_model")?,
        country: text("country")?,
        region: text("region")?,
        city: text("city")?,
        release: text("release")?,
        environment: text("environment")?,
        user_id: text("user_id")?,
        sampling_reason: text("sampling_reason")?,
        sample_rate: floats(batch, "sample_rate")?.first().copied().flatten().unwrap_or(1.0),
    }))
}
