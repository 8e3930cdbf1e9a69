//! The process's allocator: mimalloc, keeping freed memory for reuse for a while.
//!
//! The intake allocates many short-lived strings per event (glibc's malloc spent a quarter
//! of the pipeline's time on them), and every flush frees the hundreds of megabytes of
//! Arrow batches that the buffer fills again within seconds. mimalloc's default is to hand
//! freed memory back to the OS after 1 s; the buffer then faults it in again page by page,
//! each page zeroed by the kernel (12 % of the saturated server's CPU in a profile; 16.5 →
//! 15.8 µs of CPU per event at 100 000 events/s offered, measured on a quiet machine).
//! Kept for [`PURGE_DELAY_MS`] instead, that memory is reused, and an idle server still
//! returns it. `MIMALLOC_PURGE_DELAY` in the environment overrides this, like any mimalloc
//! option.
//!
//! The workspace denies `unsafe`; this module allows it for the two FFI calls to mimalloc's
//! option functions, which its Rust crate does not wrap safely.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_long};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_e` enum of mimalloc v3's `mimalloc.h`.
const PURGE_DELAY_OPTION: c_int = 15;

/// How long freed memory stays with the process before it goes back to the OS (mimalloc
/// waits ten times as long for whole arenas).
const PURGE_DELAY_MS: c_long = 10_000;

unsafe extern "C" {
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
    fn mi_option_set_default(option: c_int, value: c_long);
}

/// Sets mimalloc's purge delay unless the environment chose one; call first thing in `main`.
pub fn tune() {
    // SAFETY: mimalloc's option functions take any option index (they check the range) and
    // may be called at any time from any thread.
    unsafe { mi_option_set_default(PURGE_DELAY_OPTION, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mimalloc's current purge delay in milliseconds.
    fn purge_delay_ms() -> c_long {
        // SAFETY: as in `tune`.
        unsafe { mi_option_get(PURGE_DELAY_OPTION) }
    }

    #[test]
    fn the_purge_delay_goes_from_mimallocs_default_to_ours() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return; // the environment's choice wins, as documented
        }
        // mimalloc v3's default: a different figure means the option index moved.
        assert_eq!(purge_delay_ms(), 1_000, "is option {PURGE_DELAY_OPTION} still mi_option_purge_delay?");
        tune();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
