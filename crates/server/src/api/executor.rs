//! Queries run on a runtime of their own: DataFusion's scans and aggregations are CPU
//! work in async clothing, and on the server's runtime they would hold the threads that
//! accept and store beacons. The handler awaits the spawned task under the time limit;
//! past it the task is aborted, which drops the query and every stream it opened. So is
//! a task whose handler is dropped because its client went away: nobody reads its answer.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::AbortHandle;

/// A multi-threaded runtime for queries.
#[derive(Debug)]
pub struct QueryExecutor {
    runtime: Option<Runtime>,
    handle: Handle,
}

/// Why a spawned query gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// It ran past its time limit and was aborted.
    TimedOut,
    /// It panicked or its runtime is shutting down.
    Failed,
}

impl QueryExecutor {
    /// A runtime of `threads` worker threads named `sightline-query`.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("sightline-query")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self { runtime: Some(runtime), handle })
    }

    /// Runs `work` on the query runtime for at most `limit`.
    pub async fn run<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Interrupted> {
        let task = self.handle.spawn(work);
        let _abort_unless_finished = AbortOnDrop(task.abort_handle());
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Interrupted::Failed),
            Err(_) => Err(Interrupted::TimedOut),
        }
    }
}

/// Aborts its task when dropped: at the time limit, or when the awaiting handler is
/// dropped mid-query. Aborting a finished task does nothing.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for QueryExecutor {
    /// A runtime may not be dropped from async code; its threads are left to finish alone.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// Work that sleeps `for_ms`, then raises the returned flag.
    fn raises_a_flag_after(for_ms: u64) -> (Arc<AtomicBool>, impl Future<Output = ()> + Send + 'static) {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        let work = async move {
            tokio::time::sleep(Duration::from_millis(for_ms)).await;
            flag.store(true, Ordering::SeqCst);
        };
        (finished, work)
    }

    #[tokio::test]
    async fn a_query_whose_handler_is_dropped_is_aborted() {
        let executor = QueryExecutor::new(1).expect("a runtime");
        let (finished, work) = raises_a_flag_after(300);
        // The handler gives up after 50 ms, as when its client goes away.
        let gave_up = tokio::time::timeout(Duration::from_millis(50), executor.run(Duration::from_secs(5), work)).await;
        assert!(gave_up.is_err());
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!finished.load(Ordering::SeqCst), "the abandoned query ran to its end");
    }

    #[tokio::test]
    async fn a_query_past_its_limit_is_aborted_and_one_within_it_answers() {
        let executor = QueryExecutor::new(1).expect("a runtime");
        let (finished, work) = raises_a_flag_after(300);
        assert_eq!(executor.run(Duration::from_millis(50), work).await, Err(Interrupted::TimedOut));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!finished.load(Ordering::SeqCst), "the timed-out query ran to its end");

        let (finished, work) = raises_a_flag_after(10);
        assert_eq!(executor.run(Duration::from_secs(5), work).await, Ok(()));
        assert!(finished.load(Ordering::SeqCst));
    }
}
