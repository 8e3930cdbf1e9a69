//! When storage cannot take writes, the intake stops acknowledging (503 with
//! `Retry-After`), reports itself not ready, and recovers by itself once writes
//! succeed again, with no beacon needed to find out. Nothing it refused is stored;
//! nothing it acknowledged is lost.

use std::time::{Duration, Instant};

use sightline_store::MaintenanceOptions;

use crate::support::{Beacon, ServerOptions, StoreChoice, TestServer};

#[tokio::test]
async fn metrics_report_the_store_writable_from_the_start() {
    let server = TestServer::start_default().await;

    assert_eq!(server.metrics().await.sum("sightline_store_writable", &[]), 1.0, "before any beacon or /readyz");
}

#[tokio::test]
async fn a_failing_store_gets_503_and_not_ready_until_it_recovers() {
    let server = ServerOptions::default().store(StoreChoice::Failable).start().await;
    let seed = server.seed().await;

    server.fail_storage(true);
    let refused = Beacon::realistic();
    let response = server.post_beacon(&refused).await;

    response.assert_error(503, "storage_unavailable");
    let retry_after: u64 = response.header("retry-after").expect("Retry-After").parse().expect("whole seconds");
    assert!(retry_after >= 1);
    assert!(!response.text().contains("No space left"), "internal details stay in the log: {}", response.text());
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert_eq!(server.get("/healthz").await.status, 200, "alive, only not ready");
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "storage_unavailable"), 1);
    assert_eq!(metrics.sum("sightline_store_writable", &[]), 0.0);

    server.fail_storage(false);
    // No beacon comes (a load balancer took the node out on its /readyz): the store's own
    // probes find that writes succeed again, and /readyz says so.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = server.get("/readyz").await;
        if ready.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "/readyz never recovered without traffic: {}", ready.text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.assert_healthy().await;
    assert_eq!(server.metrics().await.sum("sightline_store_writable", &[]), 1.0);
    let after = Beacon::realistic();
    let response = server.post_beacon(&after).await;
    assert_eq!(response.accepted_dropped(), (10, 0), "accepted again once writes succeed");
    server.assert_still_stored(&seed);
    assert_eq!(server.records_with_ids(&after.event_ids()).len(), 10);
    assert!(server.records_with_ids(&refused.event_ids()).is_empty(), "a refused beacon is not stored");
}

#[tokio::test]
async fn a_full_disk_under_the_real_store_gets_503_and_not_ready() {
    let server = ServerOptions::default().store(StoreChoice::DiskFull).start().await;

    let response = server.post_beacon(&Beacon::realistic()).await;

    response.assert_error(503, "storage_unavailable");
    assert!(response.header("retry-after").is_some());
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.text().contains("No space left"), "/readyz tells the operator why: {}", ready.text());
    assert_eq!(server.get("/healthz").await.status, 200);
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "storage_unavailable"), 1);
    assert_eq!(metrics.sum("sightline_store_writable", &[]), 0.0);
    assert!(server.records().is_empty(), "nothing refused is stored");
    assert_eq!(metrics.sum("sightline_store_wal_last_lsn", &[]), 0.0, "the failed write was cut back off the log");
}

#[tokio::test]
async fn metrics_report_what_the_store_holds_before_and_after_a_flush() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::realistic();
    assert_eq!(server.post_beacon(&beacon).await.accepted_dropped(), (10, 0));

    let metrics = server.metrics().await;
    assert_eq!(metrics.sum("sightline_store_buffered_rows", &[]), 10.0);
    assert_eq!(metrics.sum("sightline_store_files", &[]), 0.0);
    assert_eq!(metrics.sum("sightline_store_wal_last_lsn", &[]), 1.0);
    assert_eq!(metrics.sum("sightline_store_flushes_total", &[]), 0.0);

    let report = server.store().flush().await.expect("the buffer is flushed");

    assert_eq!(report.rows, 10);
    let metrics = server.metrics().await;
    assert_eq!(metrics.sum("sightline_store_buffered_rows", &[]), 0.0);
    assert_eq!(metrics.sum("sightline_store_files", &[]), report.files as f64);
    assert_eq!(metrics.sum("sightline_store_file_rows", &[]), 10.0);
    assert!(metrics.sum("sightline_store_file_bytes", &[]) > 0.0);
    assert_eq!(metrics.sum("sightline_store_wal_flushed_lsn", &[]), 1.0);
    assert_eq!(metrics.sum("sightline_store_flushes_total", &[]), 1.0);
    assert_eq!(metrics.sum("sightline_store_flush_failures_total", &[]), 0.0);
    assert_eq!(server.records_with_ids(&beacon.event_ids()).len(), 10, "read back from the Parquet files");
}

#[tokio::test]
async fn a_torn_wal_tail_cut_at_start_is_counted_in_metrics() {
    // What a crash while the log started a new segment leaves: a segment of 6 bytes, its
    // header torn (the store's recovery removes it: nothing in it was acknowledged).
    let server = ServerOptions::default()
        .before_open(|data_dir| {
            let wal = data_dir.join("store/wal");
            std::fs::create_dir_all(&wal).expect("creates the WAL directory");
            std::fs::write(wal.join("00000000000000000001.wal"), b"SIGHTW").expect("writes a torn segment");
        })
        .start()
        .await;

    let metrics = server.metrics().await;
    assert_eq!(metrics.sum("sightline_store_wal_tail_cuts_total", &[]), 1.0);
    assert_eq!(metrics.sum("sightline_store_wal_tail_bytes_cut_total", &[]), 6.0);
    assert_eq!(metrics.sum("sightline_store_wal_damaged_bytes_skipped_total", &[]), 0.0);
    assert_eq!(metrics.sum("sightline_store_wal_missing_records_total", &[]), 0.0);
    server.assert_healthy().await;
    assert_eq!(server.post_beacon(&Beacon::realistic()).await.accepted_dropped(), (10, 0));
}

#[tokio::test]
async fn while_flushes_fail_a_full_buffer_gets_503_and_not_ready_until_a_flush_succeeds() {
    // With flush_rows 2 the buffer holds at most 8 rows.
    let maintenance = MaintenanceOptions { flush_rows: 2, flush_interval: Duration::from_secs(3600) };
    let server = ServerOptions::default().maintenance(maintenance).start().await;
    // A file where the tables directory belongs: every flush fails until it is gone.
    let tables = server.store().dir().join("tables");
    std::fs::write(&tables, b"in the way").expect("blocks the tables directory");
    let first = Beacon::realistic();
    assert_eq!(server.post_beacon(&first).await.accepted_dropped(), (10, 0), "under the limit");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.store().stats().flush_failures == 0 {
        assert!(Instant::now() < deadline, "no flush failed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let refused = Beacon::realistic();
    let response = server.post_beacon(&refused).await;
    response.assert_error(503, "storage_unavailable");
    assert!(response.header("retry-after").is_some());
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.text().contains("flushes failing: "), "/readyz tells the operator why: {}", ready.text());
    assert_eq!(server.metrics().await.sum("sightline_store_writable", &[]), 0.0);

    std::fs::remove_file(&tables).expect("unblocks the tables directory");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "/readyz never recovered once flushes succeed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = Beacon::realistic();
    assert_eq!(server.post_beacon(&after).await.accepted_dropped(), (10, 0), "accepted again");
    assert_eq!(server.records_with_ids(&first.event_ids()).len(), 10);
    assert!(server.records_with_ids(&refused.event_ids()).is_empty(), "a refused beacon is not stored");
}
