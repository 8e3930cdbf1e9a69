//! Queries run on a runtime of their own: DataFusion's scans and aggregations are CPU
//! work in async clothing, and on the server's runtime they would hold the threads that
//! accept and store beacons. The handler awaits the spawned task under the time limit;
//! past it the task is aborted, which drops the query and every stream it opened.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

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
        let abort = task.abort_handle();
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(Interrupted::Failed),
            Err(_) => {
                abort.abort();
                Err(Interrupted::TimedOut)
            }
        }
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
