//! Instants, time ranges, bucket sizes and time zones.

use std::fmt;
use std::str::FromStr as _;

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::compute::kernels::cast_utils::string_to_timestamp_nanos;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sightline_protocol::calendar::civil_from_days;

use crate::QueryError;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The longest time range a query may span: 400 days (a year and a bit, for
/// year-over-year views of the retention window).
pub const MAX_RANGE_MS: i64 = 400 * DAY_MS;

/// The most time buckets a time series may have (a day of minutes, two months of hours).
pub const MAX_BUCKETS: i64 = 1500;

/// An instant, epoch milliseconds. In JSON an RFC 3339 string (`"2026-01-01T00:00:00Z"`,
/// any offset accepted, written back in UTC) or a number of epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Epoch milliseconds.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2026-01-01T10:00:00+02:00`, `2026-01-01T08:00:00.250Z`).
    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.contains('T') && !text.contains(' ') {
            return Err(format!("`{text}` is not an RFC 3339 time such as 2026-01-01T00:00:00Z"));
        }
        let nanos = string_to_timestamp_nanos(text)
            .map_err(|_| format!("`{text}` is not an RFC 3339 time such as 2026-01-01T00:00:00Z"))?;
        Ok(Self(nanos.div_euclid(1_000_000)))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with milliseconds only when there are some.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(DAY_MS);
        let ms_of_day = self.0.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute) = (ms_of_day / HOUR_MS, ms_of_day % HOUR_MS / MINUTE_MS);
        let (second, milli) = (ms_of_day % MINUTE_MS / 1000, ms_of_day % 1000);
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")?;
        if milli != 0 {
            write!(f, ".{milli:03}")?;
        }
        f.write_str("Z")
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An instant: an RFC 3339 time (any offset; answers are in UTC), or epoch milliseconds.",
            "oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]
        })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time (2026-01-01T00:00:00Z) or epoch milliseconds")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(ms))
            }
            fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Timestamp, E> {
                i64::try_from(ms).map(Timestamp).map_err(|_| E::custom("epoch milliseconds out of range"))
            }
        }
        deserializer.deserialize_any(TimestampVisitor)
    }
}

/// The events a query reads: `from` ≤ timestamp < `to`. Both are required; the span is at
/// most [`MAX_RANGE_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// First instant included.
    pub from: Timestamp,
    /// First instant excluded.
    pub to: Timestamp,
}

impl TimeRange {
    /// The span in milliseconds.
    pub fn span_ms(&self) -> i64 {
        self.to.0.saturating_sub(self.from.0)
    }

    /// Checks order and span; `field` is where the range sits in the query.
    pub fn validate(&self, field: &str) -> Result<(), QueryError> {
        if self.from >= self.to {
            return Err(QueryError::invalid(format!("{field}.to"), "`to` must be after `from`"));
        }
        if self.span_ms() > MAX_RANGE_MS {
            return Err(QueryError::invalid(field, "a time range spans at most 400 days"));
        }
        Ok(())
    }
}

/// The width of a time series' buckets, in the query's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One calendar day (23 or 25 hours on daylight-saving changes).
    Day,
}

impl BucketSize {
    /// The nominal length, ms.
    pub fn ms(self) -> i64 {
        match self {
            Self::Minute => MINUTE_MS,
            Self::Hour => HOUR_MS,
            Self::Day => DAY_MS,
        }
    }

    /// The unit name of DataFusion's `date_trunc`.
    pub(crate) fn trunc_unit(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// A time zone for bucketing: `UTC`, a fixed offset (`+05:30`, `-08:00`) or an IANA name
/// (`Europe/Berlin`, daylight saving included).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TimeZone(pub String);

impl Default for TimeZone {
    fn default() -> Self {
        Self("UTC".into())
    }
}

impl TimeZone {
    /// True for UTC (and `+00:00`), where buckets need no conversion.
    pub fn is_utc(&self) -> bool {
        matches!(self.0.as_str(), "UTC" | "Z" | "+00:00" | "+00" | "Etc/UTC")
    }

    /// The name, checked: a known zone made only of letters, digits and `/_+-:`, so that
    /// it can be written into a type name of the SQL text.
    pub fn checked(&self, field: &str) -> Result<&str, QueryError> {
        let name = self.0.as_str();
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-:".contains(&b));
        if !plain || Tz::from_str(name).is_err() {
            return Err(QueryError::invalid(
                field,
                format!(
                    "unknown time zone `{name}`: use UTC, an offset such as +05:30, or an IANA name such as Europe/Berlin"
                ),
            ));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_rfc_3339_and_epoch_ms_and_write_utc() {
        let parsed: Timestamp = serde_json::from_str("\"2026-01-01T10:00:00+02:00\"").expect("succeeds");
        assert_eq!(parsed, Timestamp(1_767_254_400_000));
        assert_eq!(parsed.to_string(), "2026-01-01T08:00:00Z");
        let ms: Timestamp = serde_json::from_str("1767268800250").expect("succeeds");
        assert_eq!(serde_json::to_string(&ms).expect("succeeds"), "\"2026-01-01T12:00:00.250Z\"");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Timestamp(951_782_400_000).to_string(), "2000-02-29T00:00:00Z");
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2026-01-01\"").is_err());
    }

    #[test]
    fn ranges_are_ordered_and_bounded() {
        let range = |from, to| TimeRange { from: Timestamp(from), to: Timestamp(to) };
        assert!(range(0, 1).validate("range").is_ok());
        assert_eq!(
            range(5, 5).validate("range").expect_err("fails").to_string(),
            "range.to: `to` must be after `from`"
        );
        assert!(range(0, MAX_RANGE_MS).validate("range").is_ok());
        assert!(range(0, MAX_RANGE_MS + 1).validate("range").is_err());
    }

    #[test]
    fn time_zones_are_known_names_or_offsets() {
        for good in ["UTC", "+05:30", "-08:00", "Europe/Berlin", "America/Argentina/Buenos_Aires"] {
            assert!(TimeZone(good.into()).checked("time_zone").is_ok(), "{good}");
        }
        for bad in ["", "Mars/Olympus", "Europe/Berlin'); DROP", "UTC\"", "+99:00"] {
            assert!(TimeZone(bad.into()).checked("time_zone").is_err(), "{bad}");
        }
    }
}
