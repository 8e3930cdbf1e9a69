//! Flushes and merges run on threads of their own, normally at a low CPU priority (nice 10
//! on Linux): they are seconds of CPU in bursts, and on a small machine they would otherwise
//! take a whole core from the intake, whose acknowledgements wait for the CPU meanwhile.
//! The work gets the CPU the intake leaves. When that is too little — an intake using every
//! core starves a nice-10 thread to a tenth of one, and the buffer grows by a flush's worth
//! every few seconds — a flush that finds the buffer behind runs at [`Priority::Normal`]
//! instead: acknowledgements slow down a little, memory stays bounded, and the buffer's
//! limit (see [`maintenance`](super::maintenance)) is not reached.

use std::sync::{Mutex, PoisonError};

use crate::StoreError;

/// The nice value of background threads (0 is normal, 19 the lowest priority).
const BACKGROUND_NICE: i32 = 10;

/// The CPU priority of background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Priority {
    /// Below the intake's (nice 10): the usual case.
    Background,
    /// The intake's own: for a flush the buffer cannot wait for.
    Normal,
}

/// `work` applied to each of `items` on as many threads as the machine has cores (fewer for
/// fewer items), blocking until all are done; the results in the items' order.
pub(crate) fn map_on_all_cores<T, R>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R>
where
    T: Send,
    R: Send,
{
    let count = items.len();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, count.max(1));
    let queue = Mutex::new(items.into_iter().enumerate());
    let results = Mutex::new((0..count).map(|_| None).collect::<Vec<_>>());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let Some((index, item)) = queue.lock().unwrap_or_else(PoisonError::into_inner).next() else {
                        break;
                    };
                    let result = work(item);
                    results.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(PoisonError::into_inner).into_iter().flatten().collect()
}

/// Runs `work` on a new thread named `name` at `priority`; its result, or an error when the
/// thread could not start or the work panicked.
pub(crate) async fn run<T, F>(name: &str, priority: Priority, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            if priority == Priority::Background {
                lower_priority();
            }
            let _ = sender.send(work());
        })
        .map_err(|error| StoreError::Write(format!("cannot start the {name} thread: {error}")))?;
    receiver.await.map_err(|_| StoreError::Write(format!("the {name} thread failed (see the log for its panic)")))
}

/// Lowers this thread's priority: on Linux a nice value belongs to a thread, not to the process.
#[cfg(target_os = "linux")]
fn lower_priority() {
    if let Err(error) = rustix::process::setpriority_process(None, BACKGROUND_NICE) {
        tracing::debug!(%error, "cannot lower the priority of a background thread; it runs at normal priority");
    }
}

/// Elsewhere a nice value may apply to the whole process: the thread keeps its priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_named_thread_at_background_priority_and_returns_its_result() {
        let (name, nice) = run("sightline-test", Priority::Background, || {
            let name = std::thread::current().name().map(str::to_owned);
            #[cfg(target_os = "linux")]
            let nice = rustix::process::getpriority_process(None).ok();
            #[cfg(not(target_os = "linux"))]
            let nice = Some(BACKGROUND_NICE);
            (name, nice)
        })
        .await
        .expect("the work ran");
        assert_eq!(name.as_deref(), Some("sightline-test"));
        assert_eq!(nice, Some(BACKGROUND_NICE));
        #[cfg(target_os = "linux")]
        assert_eq!(rustix::process::getpriority_process(None).ok(), Some(0), "the caller's priority is untouched");
    }

    #[tokio::test]
    async fn normal_priority_work_keeps_the_callers_priority() {
        #[cfg(target_os = "linux")]
        let nice = run("sightline-test", Priority::Normal, || rustix::process::getpriority_process(None).ok())
            .await
            .expect("the work ran");
        #[cfg(not(target_os = "linux"))]
        let nice = Some(0);
        assert_eq!(nice, Some(0));
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error() {
        let result: Result<(), _> = run("sightline-test", Priority::Background, || panic!("the work failed")).await;
        assert!(matches!(result, Err(StoreError::Write(message)) if message.contains("sightline-test thread failed")));
    }
}
