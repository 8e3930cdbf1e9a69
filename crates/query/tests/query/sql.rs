//! Read-only SQL: one project's rows and nothing else, no writes, limits.

use std::time::Duration;

use sightline_protocol::EventRecord;
use sightline_query::{QueryError, SqlLimits, SqlResult, execute_sql};

use super::{Fixture, fixture};

impl Fixture {
    async fn sql(&self, sql: &str) -> Result<SqlResult, QueryError> {
        execute_sql(&self.context, "shop", sql, SqlLimits::default()).await
    }

    async fn sql_ok(&self, sql: &str) -> SqlResult {
        self.sql(sql).await.unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}

fn count(result: &SqlResult) -> u64 {
    result.rows[0][0].as_u64().expect("a count")
}

fn of_kind(records: &[EventRecord], project: &str, kind: &str) -> u64 {
    records.iter().filter(|r| r.context.project == project && r.body.kind().as_str() == kind).count() as u64
}

#[tokio::test]
async fn every_table_shows_only_the_callers_project() {
    let fixture = fixture().await;
    let kinds = ["view", "vital", "error", "request", "resource", "long_animation_frame", "action", "custom"];
    for kind in kinds {
        let result = fixture.sql_ok(&format!("SELECT count(*) AS n FROM {kind}")).await;
        assert_eq!(count(&result), of_kind(&fixture.records, "shop", kind), "{kind}");
    }
    assert!(of_kind(&fixture.records, "other", "error") > 0, "the other project has rows to hide");

    // Whatever the statement's shape, the other project's rows never appear.
    for sql in [
        "SELECT DISTINCT project FROM error",
        "SELECT project FROM view UNION ALL SELECT project FROM vital UNION SELECT project FROM error",
        "SELECT project FROM (SELECT * FROM request) r WHERE r.project <> 'shop' OR true",
        "WITH x AS (SELECT * FROM error) SELECT project FROM x",
        "SELECT project FROM datafusion.public.view",
        "SELECT e.project FROM error e JOIN view v ON v.view_id = e.view_id",
        "SELECT project FROM action WHERE session_id NOT IN (SELECT session_id FROM view WHERE project = 'other')",
        "SELECT (SELECT max(project) FROM custom) AS project",
    ] {
        let result = fixture.sql_ok(sql).await;
        assert!(!result.rows.is_empty(), "{sql}");
        for row in &result.rows {
            assert!(row[0] == "shop" || row[0].is_null(), "{sql}: {row:?}");
        }
    }
    let other = fixture.sql_ok("SELECT count(*) FROM error WHERE project = 'other'").await;
    assert_eq!(count(&other), 0);
}

#[tokio::test]
async fn nothing_else_is_reachable_and_nothing_is_written() {
    let fixture = fixture().await;
    // A file of the store, read directly, would bypass the views.
    let file = walk(fixture.dir()).into_iter().next().expect("a Parquet file");
    for sql in [
        "SELECT * FROM information_schema.tables".to_owned(),
        "SHOW TABLES".into(),
        format!("SELECT * FROM '{file}'"),
        format!("SELECT * FROM read_parquet('{file}')"),
        format!("CREATE EXTERNAL TABLE o STORED AS PARQUET LOCATION '{file}'"),
        "CREATE TABLE t AS SELECT * FROM error".into(),
        "INSERT INTO error SELECT * FROM error".into(),
        "DELETE FROM error".into(),
        "COPY (SELECT * FROM error) TO '/tmp/sightline-copy.parquet'".into(),
        "SET datafusion.catalog.information_schema = true".into(),
        "DROP TABLE error".into(),
        "SELECT 1; DROP TABLE error".into(),
    ] {
        let error = fixture.sql(&sql).await.expect_err(&sql);
        assert_eq!(error.code(), "invalid_query", "{sql}: {error}");
    }
    let after = fixture.sql_ok("SELECT count(*) FROM error").await;
    assert_eq!(count(&after), of_kind(&fixture.records, "shop", "error"));
}

#[tokio::test]
async fn rows_and_time_are_limited() {
    let fixture = fixture().await;
    let limits = SqlLimits { max_rows: 25, ..SqlLimits::default() };
    let result = execute_sql(&fixture.context, "shop", "SELECT event_id, \"timestamp\", value FROM vital", limits)
        .await
        .expect("runs");
    assert_eq!((result.rows.len(), result.truncated), (25, true));
    assert_eq!(result.columns[1].name, "timestamp");
    assert!(result.columns[1].data_type.starts_with("Timestamp"), "{:?}", result.columns);
    assert!(result.rows[0][0].is_string() && result.rows[0][2].is_number(), "{:?}", result.rows[0]);
    let time = result.rows[0][1].as_str().expect("a time as text");
    assert!(time.starts_with("2026-01-0") && time.contains('T'), "{time}");

    let exact = execute_sql(&fixture.context, "shop", "SELECT * FROM generate_series(1, 25)", limits).await;
    assert!(matches!(exact, Ok(SqlResult { truncated: false, ref rows, .. }) if rows.len() == 25), "{exact:?}");

    let slow = SqlLimits { timeout: Duration::from_millis(200), ..SqlLimits::default() };
    let sql = "SELECT count(*) FROM generate_series(1, 100000000000) a";
    let error = execute_sql(&fixture.context, "shop", sql, slow).await.expect_err("times out");
    assert!(error.to_string().contains("time limit"), "{error}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            files.push(path.display().to_string());
        }
    }
    files
}

#[tokio::test]
async fn the_rollups_of_the_callers_project_are_read_with_their_sketch_aggregate() {
    let fixture = fixture().await;
    let context = sightline_store::rollup_session_context(&fixture._store).expect("the tables register");
    let sql = |sql: &'static str| execute_sql(&context, "shop", sql, SqlLimits::default());
    let projects = sql("SELECT DISTINCT project FROM rollup").await.expect("answers");
    assert_eq!(projects.rows, vec![vec![serde_json::json!("shop")]], "only the caller's project");

    let requests = sql(r#"SELECT sum("count") FROM rollup WHERE name = 'endpoint_request' AND "grouping" = 12"#)
        .await
        .expect("answers");
    let weighted: f64 = fixture
        .records
        .iter()
        .filter(|r| r.context.project == "shop" && r.body.kind().as_str() == "request")
        .filter(|r| r.context.sampling_reason == sightline_protocol::SamplingReason::Sampled)
        .map(|r| 1.0 / r.context.sample_rate)
        .sum();
    let got = requests.rows[0][0].as_f64().expect("a sum");
    assert!(weighted > 0.0 && (got - weighted).abs() < 1e-6 * weighted, "{got} vs {weighted}");

    let median = sql(r#"SELECT sightline_sketch_quantile(sketch, 0.5) AS p50 FROM rollup
           WHERE name = 'endpoint_request' AND "grouping" = 12"#)
    .await
    .expect("the sketch aggregate is there");
    assert!(median.rows[0][0].as_f64().is_some_and(|p50| p50 > 0.0), "{:?}", median.rows);
}
