//! Error groups: errors grouped by their fingerprint, computed in the engine by the SQL
//! function `sightline_fingerprint` over every error of the range (see
//! [`crate::fingerprint`]); and one group's detail.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::lists::{count, time};
use super::{collect, column, instants, integers, texts};
use crate::QueryError;
use crate::plan::diagnostics;
use crate::plan::{Bucketing, Scope};
use crate::query::{ErrorGroupQuery, ErrorGroupSort, ErrorGroupsQuery};
use crate::result::{ErrorGroup, ErrorGroupResult, ErrorGroupsResult, ErrorPoint, ErrorSample};

pub(super) async fn groups(
    context: &SessionContext,
    project: &str,
    query: &ErrorGroupsQuery,
) -> Result<ErrorGroupsResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: false };
    // The errors are read and fingerprinted once, then grouped in a session of their own.
    let rows = collect(context, diagnostics::error_rows(&scope)).await?;
    let Some(schema) = rows.first().map(RecordBatch::schema) else {
        return Ok(ErrorGroupsResult { groups: Vec::new(), total_groups: 0 });
    };
    let partitions = context.state().config().target_partitions().max(1);
    let parts = partitions.min(rows.len());
    let mut split = vec![Vec::new(); parts];
    for (i, batch) in rows.into_iter().enumerate() {
        split[i % parts].push(batch);
    }
    // The caller's configuration and runtime (its memory pool bounds this step too), with a
    // catalog of its own: a session built from another's state has the flag that makes one off.
    let mut config = context.state().config().clone();
    config.options_mut().catalog.create_default_catalog_and_schema = true;
    let grouping = SessionContext::new_with_config_rt(config, context.runtime_env());
    grouping.register_table(diagnostics::ERRORS_TABLE, Arc::new(MemTable::try_new(schema, split)?))?;
    let statement = diagnostics::error_groups(None, None, query.sort_by, query.limit);
    let (groups, total_groups) = read_groups(&collect(&grouping, statement).await?)?;
    Ok(ErrorGroupsResult { groups, total_groups })
}

pub(super) async fn group(
    context: &SessionContext,
    project: &str,
    query: &ErrorGroupQuery,
) -> Result<ErrorGroupResult, QueryError> {
    let scope = Scope { project, range: query.range, filters: &query.filters, rollups: false };
    let fp = query.fingerprint.to_ascii_lowercase();
    let bucketing = Bucketing { size: query.bucket, zone: &query.time_zone };
    let summary = collect(context, diagnostics::error_groups(Some(&scope), Some(&fp), ErrorGroupSort::Count, 1));
    let series = collect(context, diagnostics::error_series(&scope, &fp, &bucketing)?);
    let samples = async {
        if query.samples == 0 {
            return Ok(Vec::new());
        }
        collect(context, diagnostics::error_samples(&scope, &fp, query.samples)).await
    };
    let (summary, series, samples) = futures_util::try_join!(summary, series, samples)?;
    let group = read_groups(&summary)?.0.into_iter().next();
    let mut points = Vec::new();
    for batch in &series {
        let (b, c, e) = (instants(batch, "b")?, integers(batch, "count")?, integers(batch, "events")?);
        for i in 0..batch.num_rows() {
            points.push(ErrorPoint { time: time(b[i]), count: count(c[i]), events: count(e[i]) });
        }
    }
    points.sort_by_key(|point| point.time);
    Ok(ErrorGroupResult { group, series: points, samples: read_samples(&samples)? })
}

fn read_groups(batches: &[RecordBatch]) -> Result<(Vec<ErrorGroup>, u64), QueryError> {
    let mut groups = Vec::new();
    let mut total = 0;
    for batch in batches {
        let [fp, kind, message, route, browser] =
            ["fp", "error_type", "message", "top_route", "top_browser"].map(|name| texts(batch, name));
        let (fp, kind, message, route, browser) = (fp?, kind?, message?, route?, browser?);
        let [n, events, sessions, users, totals] =
            ["count", "events", "sessions", "users", "total_groups"].map(|name| integers(batch, name));
        let (n, events, sessions, users, totals) = (n?, events?, sessions?, users?, totals?);
        let (first, last) = (instants(batch, "first_seen")?, instants(batch, "last_seen")?);
        let releases = lists(batch, "releases")?;
        for i in 0..batch.num_rows() {
            total = count(totals[i]);
            groups.push(ErrorGroup {
                fingerprint: fp[i].clone().unwrap_or_default(),
                error_type: kind[i].clone(),
                message: message[i].clone(),
                count: count(n[i]),
                events: count(events[i]),
                sessions: count(sessions[i]),
                users: count(users[i]),
                first_seen: time(first[i]),
                last_seen: time(last[i]),
                releases: releases[i].clone(),
                top_route: route[i].clone(),
                top_browser: browser[i].clone(),
            });
        }
    }
    Ok((groups, total))
}

/// A list column of text, each list sorted, nulls left out.
fn lists(batch: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>, QueryError> {
    let array = column(batch, name)?;
    let list = array.as_list_opt::<i32>().ok_or_else(|| QueryError::Engine(format!("{name} is not a list")))?;
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(Vec::new());
            continue;
        }
        let values = cast(&list.value(i), &DataType::Utf8)?;
        let mut values: Vec<String> = values.as_string::<i32>().iter().flatten().map(str::to_owned).collect();
        values.sort();
        out.push(values);
    }
    Ok(out)
}

fn read_samples(batches: &[RecordBatch]) -> Result<Vec<ErrorSample>, QueryError> {
    let mut samples = Vec::new();
    for batch in batches {
        let names = [
            "event_id",
            "session_id",
            "view_id",
            "route",
            "page_url",
            "message",
            "stack",
            "source_url",
            "browser",
            "os",
            "release",
            "user_id",
        ];
        let [event, session, view, route, url, message, stack, source_url, browser, os, release, user] =
            names.map(|name| texts(batch, name));
        let (event, session, view, route, url, message, stack) =
            (event?, session?, view?, route?, url?, message?, stack?);
        let (source_url, browser, os, release, user) = (source_url?, browser?, os?, release?, user?);
        let (t, line, col) = (instants(batch, "t")?, integers(batch, "line")?, integers(batch, "column")?);
        for i in 0..batch.num_rows() {
            samples.push(ErrorSample {
                time: time(t[i]),
                event_id: event[i].clone().unwrap_or_default(),
                session_id: session[i].clone().unwrap_or_default(),
                view_id: view[i].clone().unwrap_or_default(),
                route: route[i].clone(),
                url: url[i].clone(),
                message: message[i].clone(),
                stack: stack[i].clone(),
                source_url: source_url[i].clone(),
                line: line[i].and_then(|n| u32::try_from(n).ok()),
                column: col[i].and_then(|n| u32::try_from(n).ok()),
                browser: browser[i].clone(),
                os: os[i].clone(),
                release: release[i].clone(),
                user_id: user[i].clone(),
            });
        }
    }
    Ok(samples)
}
