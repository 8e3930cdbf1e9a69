//! Event times: the server's clock wins.
//!
//! The agent reports times by the device clock, which can be off by minutes or
//! months. The beacon's `sent_at` (device clock) and the server's receive time
//! give the drift; every event time is shifted by it. Times that still fall
//! outside `[received − 24 h, received + 1 min]` are set to the receive time
//! and marked.

use sightline_protocol::limits::{MAX_EVENT_AGE_MS, MAX_FUTURE_SKEW_MS};

/// Drift beyond which an event is marked `clock_corrected`.
const NOTABLE_DRIFT_MS: i64 = 60_000;

/// Converts device times of one beacon into server times.
#[derive(Debug, Clone, Copy)]
pub struct BeaconClock {
    received_at_ms: i64,
    /// Server time minus device time, when the beacon said when it was sent.
    drift_ms: Option<i64>,
    /// `performance.timeOrigin` of the current document, device clock.
    time_origin_ms: Option<f64>,
}

/// An event's server time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// Epoch milliseconds, server clock.
    pub timestamp_ms: i64,
    /// The time was out of the accepted window and was set to the receive time.
    pub clamped: bool,
    /// The device clock was notably off and the time was shifted.
    pub corrected: bool,
}

impl BeaconClock {
    /// The clock of a beacon received at `received_at_ms` (server epoch ms).
    pub fn new(received_at_ms: i64, sent_at: Option<f64>, time_origin: Option<f64>) -> Self {
        let drift_ms = sent_at.and_then(epoch_ms).map(|sent| received_at_ms.saturating_sub(sent));
        Self { received_at_ms, drift_ms, time_origin_ms: time_origin.filter(|t| t.is_finite() && *t > 0.0) }
    }

    /// When the server received the beacon, epoch ms.
    pub fn received_at_ms(&self) -> i64 {
        self.received_at_ms
    }

    /// The server time of an event with relative time `t` and/or device epoch time `ts`.
    pub fn event_time(&self, t: Option<f64>, ts: Option<f64>) -> EventTime {
        let relative = match (self.time_origin_ms, t.filter(|t| t.is_finite() && *t >= 0.0)) {
            (Some(origin), Some(t)) => epoch_ms(origin + t),
            _ => None,
        };
        let Some(device_ms) = relative.or_else(|| ts.and_then(epoch_ms)) else {
            // A time was sent but none is usable (zero, negative, absurd): that is a clamp.
            let clamped = t.is_some() || ts.is_some();
            return EventTime { timestamp_ms: self.received_at_ms, clamped, corrected: false };
        };
        let drift = self.drift_ms.unwrap_or(0);
        let server_ms = device_ms.saturating_add(drift);
        let earliest = self.received_at_ms - MAX_EVENT_AGE_MS;
        let latest = self.received_at_ms + MAX_FUTURE_SKEW_MS;
        let clamped = !(earliest..=latest).contains(&server_ms);
        EventTime {
            timestamp_ms: if clamped { self.received_at_ms } else { server_ms },
            clamped,
            corrected: drift.abs() > NOTABLE_DRIFT_MS,
        }
    }
}

/// A plausible epoch-ms value as an integer (after 2001-09-09, before year 10000).
fn epoch_ms(value: f64) -> Option<i64> {
    const MIN: f64 = 1_000_000_000_000.0;
    const MAX: f64 = 253_402_300_800_000.0;
    (value.is_finite() && (MIN..MAX).contains(&value)).then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    #[test]
    fn relative_times_use_the_time_origin_and_the_drift() {
        let device_ahead_by_an_hour = (NOW + 3_600_000) as f64;
        let clock = BeaconClock::new(NOW, Some(device_ahead_by_an_hour), Some(device_ahead_by_an_hour - 5_000.0));
        let time = clock.event_time(Some(1_000.0), None);
        assert_eq!(time, EventTime { timestamp_ms: NOW - 4_000, clamped: false, corrected: true });
    }

    #[test]
    fn epoch_times_are_used_without_an_origin() {
        let clock = BeaconClock::new(NOW, Some(NOW as f64), None);
        assert_eq!(clock.event_time(None, Some((NOW - 2_000) as f64)).timestamp_ms, NOW - 2_000);
    }

    #[test]
    fn a_month_off_device_clock_is_corrected_not_clamped() {
        let month = 30 * 24 * 3_600_000i64;
        let device_now = (NOW - month) as f64;
        let clock = BeaconClock::new(NOW, Some(device_now), None);
        let time = clock.event_time(None, Some(device_now - 1_000.0));
        assert_eq!(time.timestamp_ms, NOW - 1_000);
        assert!(time.corrected && !time.clamped);
    }

    #[test]
    fn absurd_times_fall_back_or_clamp_to_the_receive_time() {
        let clock = BeaconClock::new(NOW, None, None);
        for ts in [0.0, -5.0, f64::NAN, f64::INFINITY, 253_402_300_800_000.0 * 2.0] {
            let time = clock.event_time(None, Some(ts));
            assert_eq!(time.timestamp_ms, NOW, "ts {ts}");
            assert!(time.clamped, "an unusable time is clamped and marked: {ts}");
        }
        assert!(clock.event_time(Some(-1.0), None).clamped, "negative relative time");
        assert!(!clock.event_time(None, None).clamped, "no time at all is not a clamp");
        let year_9999 = clock.event_time(None, Some(253_402_000_000_000.0));
        assert_eq!(year_9999, EventTime { timestamp_ms: NOW, clamped: true, corrected: false });
        let two_days_old = clock.event_time(None, Some((NOW - 48 * 3_600_000) as f64));
        assert!(two_days_old.clamped);
        assert_eq!(clock.event_time(None, None).timestamp_ms, NOW);
    }
}
