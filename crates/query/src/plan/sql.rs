//! SQL text with positional parameters: every value that comes from a query (project,
//! times, filter values, attribute keys, custom event names, quantiles) is a `$n`
//! parameter bound as a typed literal, never spliced into the text. What is spliced comes
//! from the model's enums (column names, vital names, thresholds) or was checked against a
//! strict alphabet (time zone names).

use datafusion::common::ScalarValue;

/// A statement being built and its parameters.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub(crate) params: Vec<ScalarValue>,
}

impl Sql {
    /// Binds `value` and returns its placeholder.
    pub(crate) fn bind(&mut self, value: ScalarValue) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    /// Binds a string.
    pub(crate) fn text(&mut self, value: &str) -> String {
        self.bind(ScalarValue::Utf8(Some(value.to_owned())))
    }

    /// Binds a float.
    pub(crate) fn float(&mut self, value: f64) -> String {
        self.bind(ScalarValue::Float64(Some(value)))
    }

    /// Binds an instant, typed as the tables' `timestamp` column.
    pub(crate) fn time(&mut self, ms: i64) -> String {
        self.bind(ScalarValue::TimestampMillisecond(Some(ms), Some("UTC".into())))
    }
}

/// A float written into SQL text (model constants only): always with a decimal point, so
/// that it reads as a `Float64`.
pub(crate) fn float_literal(value: f64) -> String {
    format!("{value:?}")
}
