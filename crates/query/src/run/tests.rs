//! The statements' scans reach the store with literal project and time bounds, so that
//! it skips the files of other projects and days.

use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::physical_plan::displayable;
use sightline_protocol::{
    ClientInfo, EventBody, EventRecord, GeoInfo, NetworkInfo, PageLocation, QualityFlags, RecordContext,
    SamplingReason, ViewEvent,
};
use sightline_store::{EmbeddedStore, Store as _, session_context};

use crate::model::{Dimension, Metric, Statistic, TimeRange, Timestamp};
use crate::plan::{self, Fold, Scope};

const DAY_MS: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z.
const BASE_MS: i64 = 1_767_225_600_000;

fn view(project: &str, timestamp_ms: i64) -> EventRecord {
    EventRecord {
        event_id: "0".into(),
        timestamp_ms,
        view_id: format!("{project}-{timestamp_ms}"),
        page: Arc::new(PageLocation::default()),
        quality: QualityFlags::default(),
        body: EventBody::View(ViewEvent::default()),
        context: Arc::new(RecordContext {
            project: project.into(),
            received_at_ms: timestamp_ms,
            session_id: "s".into(),
            referrer_host: None,
            client: ClientInfo::default(),
            geo: GeoInfo::default(),
            network: NetworkInfo::default(),
            release: None,
            environment: None,
            user_id: None,
            user_attributes: Default::default(),
            attributes: Default::default(),
            consent: None,
            sample_rate: 1.0,
            sampling_reason: SamplingReason::Sampled,
            viewport_width: None,
            viewport_height: None,
            device_memory_gb: None,
            device_cores: None,
            agent_name: "test".into(),
            agent_version: "0".into(),
        }),
    }
}

#[tokio::test]
async fn scans_read_only_the_files_of_the_project_and_range() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, _) = EmbeddedStore::open(dir.path(), &Default::default()).expect("opens");
    let store = Arc::new(store);
    let records =
        (0..3).map(|day| view("shop", BASE_MS + day * DAY_MS + 3_600_000)).chain([view("other", BASE_MS + DAY_MS)]);
    store.append(records.collect()).await.expect("appends");
    store.flush().await.expect("flushes");
    let context = session_context(&store).expect("registers");

    let range = TimeRange { from: Timestamp(BASE_MS + DAY_MS), to: Timestamp(BASE_MS + 2 * DAY_MS) };
    let scope = Scope { project: "shop", range, filters: &[], rollups: false };
    let navigation = [Dimension::NavigationType];
    let cases = [
        (Metric::PageViews, &navigation[..]),
        (Metric::ErrorRate, &[][..]),
        (Metric::PoorVitalShare, &[][..]),
        (Metric::Lcp, &[][..]),
        (Metric::Lcp, &navigation[..]),
    ];
    for (metric, dims) in cases {
        let statement = plan::aggregate(&metric, &scope, None, dims, Fold::None, &[Statistic::Count]).expect("plans");
        let params = statement.params.into_iter().map(Into::into).collect();
        let frame = context.sql(&statement.text).await.expect("parses");
        let frame = frame.with_param_values(ParamValues::List(params)).expect("binds");
        let physical = frame.create_physical_plan().await.expect("plans");
        let text = displayable(physical.as_ref()).indent(true).to_string();
        assert!(!text.contains("2026-01-03") && !text.contains("/other/"), "{metric:?}:\n{text}");
        // Only the lookup of other kinds' navigation type looks a day back.
        assert_eq!(text.contains("2026-01-01"), metric == Metric::Lcp && !dims.is_empty(), "{metric:?}:\n{text}");
        if metric == Metric::PageViews {
            assert!(text.contains("view/shop/2026-01-02"), "{text}");
        }
    }
}

#[tokio::test]
async fn diagnostic_scans_read_only_the_files_of_the_project_and_range() {
    use crate::plan::diagnostics;
    use crate::query::{ErrorGroupSort, ListKind, ListSort, Order};

    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, _) = EmbeddedStore::open(dir.path(), &Default::default()).expect("opens");
    let store = Arc::new(store);
    let records =
        (0..3).map(|day| view("shop", BASE_MS + day * DAY_MS + 3_600_000)).chain([view("other", BASE_MS + DAY_MS)]);
    store.append(records.collect()).await.expect("appends");
    store.flush().await.expect("flushes");
    let context = session_context(&store).expect("registers");
    let mut state = context.state();
    for function in crate::udf::functions() {
        datafusion::execution::FunctionRegistry::register_udf(&mut state, Arc::new(function)).expect("registers");
    }
    let context = datafusion::prelude::SessionContext::new_with_state(state);

    let range = TimeRange { from: Timestamp(BASE_MS + DAY_MS), to: Timestamp(BASE_MS + 2 * DAY_MS) };
    let scope = Scope { project: "shop", range, filters: &[], rollups: false };
    let statements = [
        diagnostics::list(ListKind::Sessions, &scope, ListSort::Time, Order::Desc, 10, None).expect("plans"),
        diagnostics::list(ListKind::Views, &scope, ListSort::Lcp, Order::Desc, 10, None).expect("plans"),
        diagnostics::list(ListKind::Errors, &scope, ListSort::Time, Order::Desc, 10, None).expect("plans"),
        diagnostics::error_groups(Some(&scope), None, ErrorGroupSort::Count, 10),
        diagnostics::timeline(&scope, "s", "vital", "e.\"value\" AS val", 10),
    ];
    for (i, statement) in statements.into_iter().enumerate() {
        let params = statement.params.into_iter().map(Into::into).collect();
        let frame = context.sql(&statement.text).await.expect("parses");
        let frame = frame.with_param_values(ParamValues::List(params)).expect("binds");
        let physical = frame.create_physical_plan().await.expect("plans");
        let text = displayable(physical.as_ref()).indent(true).to_string();
        assert!(!text.contains("2026-01-03") && !text.contains("2026-01-01") && !text.contains("/other/"), "{text}");
        if i < 2 {
            assert!(text.contains("view/shop/2026-01-02"), "{text}");
        }
    }
}
