//! Outcomes: every item the intake rejects, drops, trims or folds is counted
//! once, with one reason. The server exports them in `/metrics`; the dashboard
//! shows them per project.

/// What happened to the counted items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeCategory {
    /// The whole beacon was refused with a 4xx/5xx answer; nothing of it was stored.
    Rejected,
    /// Events were accepted by the intake but not stored (bots, consent, invalid events…).
    Dropped,
    /// Part of an event was removed or shortened; the event was stored.
    Trimmed,
    /// A value was replaced by `(other)` by the cardinality guard.
    Folded,
}

impl OutcomeCategory {
    /// Metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Dropped => "dropped",
            Self::Trimmed => "trimmed",
            Self::Folded => "folded",
        }
    }
}

macro_rules! reasons {
    ($($variant:ident => ($name:literal, $category:ident, $doc:literal)),+ $(,)?) => {
        /// Why items were rejected, dropped, trimmed or folded.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $(#[doc = $doc] $variant,)+
        }

        impl Reason {
            /// Every reason, for documentation and metric pre-registration.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)+];

            /// The machine-readable reason code (`snake_case`), as sent to clients and in metrics.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)+ }
            }

            /// What this reason does to the counted items.
            pub fn category(self) -> OutcomeCategory {
                match self { $(Self::$variant => OutcomeCategory::$category,)+ }
            }

            /// One line describing the reason, for docs and error messages.
            pub fn description(self) -> &'static str {
                match self { $(Self::$variant => $doc,)+ }
            }
        }
    };
}

reasons! {
    // Whole beacon refused.
    EmptyBody => ("empty_body", Rejected, "The request body was empty."),
    PayloadTooLarge => ("payload_too_large", Rejected, "The body, raw or decompressed, was over the size cap."),
    UnsupportedMediaType => ("unsupported_media_type", Rejected, "The Content-Type was neither application/json nor text/plain."),
    UnsupportedEncoding => ("unsupported_encoding", Rejected, "The Content-Encoding was not gzip, deflate or identity."),
    InvalidCompression => ("invalid_compression", Rejected, "The compressed body was corrupt or truncated."),
    InvalidUtf8 => ("invalid_utf8", Rejected, "The body was not valid UTF-8 (such beacons are rejected, never repaired)."),
    InvalidJson => ("invalid_json", Rejected, "The body was not a JSON object of the beacon shape."),
    TooDeep => ("too_deep", Rejected, "The JSON was nested deeper than the limit."),
    InvalidContext => ("invalid_context", Rejected, "The beacon context was missing or unusable (no session, view or http(s) page URL)."),
    UnsupportedVersion => ("unsupported_version", Rejected, "The beacon's protocol version is not supported by this server."),
    Forbidden => ("forbidden", Rejected, "Unknown or disabled project key, or an Origin the project does not allow."),
    HostNotAllowed => ("host_not_allowed", Rejected, "The page URL's host is not one of the project's hosts (ghost spam)."),
    RateLimited => ("rate_limited", Rejected, "Over the per-IP or per-project rate limit."),
    RequestTimeout => ("request_timeout", Rejected, "The client sent its body too slowly."),
    BodyReadFailed => ("body_read_failed", Rejected, "The request body could not be read (connection closed early or malformed chunked encoding)."),
    StorageUnavailable => ("storage_unavailable", Rejected, "Storage could not take the beacon durably; retry later."),
    Overloaded => ("overloaded", Rejected, "Too many beacons in flight: retry after Retry-After."),
    InternalError => ("internal_error", Rejected, "The server failed while processing the beacon (a bug: it is logged)."),
    // Events accepted by the intake but not stored.
    Bot => ("bot", Dropped, "Sent by a bot, crawler or headless browser."),
    ConsentDenied => ("consent_denied", Dropped, "The user denied tracking consent."),
    DoNotTrack => ("do_not_track", Dropped, "The browser sent Do-Not-Track or Global Privacy Control and the project honours it."),
    SampledOut => ("sampled_out", Dropped, "The session fell outside the project's server-side sample rate."),
    TooManyEvents => ("too_many_events", Dropped, "The beacon had more events than the per-batch cap."),
    InvalidEvent => ("invalid_event", Dropped, "The event did not match its kind's shape."),
    UnknownEventKind => ("unknown_event_kind", Dropped, "The event's kind is not known to this server."),
    MissingEventId => ("missing_event_id", Dropped, "The event had no id."),
    DuplicateEventId => ("duplicate_event_id", Dropped, "Another event of the same beacon had the same id."),
    DuplicateVital => ("duplicate_vital", Dropped, "The beacon already had this vital for this view."),
    VitalOutOfRange => ("vital_out_of_range", Dropped, "A vital's value was negative, not finite, or above the plausible maximum."),
    ValueOutOfRange => ("value_out_of_range", Dropped, "A required duration or size was out of range."),
    // Parts of stored events changed.
    FieldTrimmed => ("field_trimmed", Trimmed, "A string was over its length limit and was trimmed."),
    AttributeDropped => ("attribute_dropped", Trimmed, "An attribute was over the per-event cap or not a string, number or boolean."),
    ListTrimmed => ("list_trimmed", Trimmed, "A list (server timings, scripts) was over its cap and was shortened (counted once per list)."),
    NumberRemoved => ("number_removed", Trimmed, "An optional number was out of range and was removed."),
    TimestampClamped => ("timestamp_clamped", Trimmed, "The event time was too far in the future or past and was set to the receive time."),
    PiiScrubbed => ("pii_scrubbed", Trimmed, "An email, card number or token was removed from a string."),
    // Values folded by the cardinality guard.
    RouteCardinality => ("route_cardinality", Folded, "The project reached its cap of distinct routes; the route became (other)."),
    EventNameCardinality => ("event_name_cardinality", Folded, "The project reached its cap of distinct custom event names; the name became (other)."),
    AttributeKeyCardinality => ("attribute_key_cardinality", Folded, "The project reached its cap of distinct attribute keys; the attribute was dropped."),
}

/// Counts by reason for one beacon. Tiny and allocation-free until something happens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    counts: Vec<(Reason, u64)>,
}

impl Outcomes {
    /// Adds `quantity` items for `reason` (nothing for zero).
    pub fn add(&mut self, reason: Reason, quantity: u64) {
        if quantity == 0 {
            return;
        }
        match self.counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += quantity,
            None => self.counts.push((reason, quantity)),
        }
    }

    /// The count for `reason`.
    pub fn get(&self, reason: Reason) -> u64 {
        self.counts.iter().find(|(r, _)| *r == reason).map_or(0, |(_, c)| *c)
    }

    /// Every non-zero count.
    pub fn iter(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        self.counts.iter().copied()
    }

    /// Events dropped (not stored) in total.
    pub fn dropped_events(&self) -> u64 {
        self.iter().filter(|(reason, _)| reason.category() == OutcomeCategory::Dropped).map(|(_, count)| count).sum()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for reason in Reason::ALL {
            let code = reason.as_str();
            assert!(seen.insert(code), "duplicate reason code {code}");
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()));
        }
    }

    #[test]
    fn counts_accumulate_per_reason() {
        let mut outcomes = Outcomes::default();
        outcomes.add(Reason::Bot, 3);
        outcomes.add(Reason::FieldTrimmed, 1);
        outcomes.add(Reason::Bot, 2);
        outcomes.add(Reason::InvalidEvent, 0);
        assert_eq!(outcomes.get(Reason::Bot), 5);
        assert_eq!(outcomes.dropped_events(), 5);
        assert_eq!(outcomes.iter().count(), 2);
    }
}
