//! Dimensions (what events are filtered and grouped by) and filters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::QueryError;
use crate::model::{MAX_FILTER_VALUES, MAX_VALUE_BYTES};

/// A property of the page view, client, location, network, release or user that events
/// are filtered and grouped by. In JSON a string (`"country"`), or an object for an
/// attribute: `{"user_attribute": "plan"}`, `{"attribute": "experiment"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Page route (`/products/:id`).
    Route,
    /// Page host.
    Host,
    /// Page path.
    Path,
    /// Country code (`DE`).
    Country,
    /// Region code.
    Region,
    /// City.
    City,
    /// Browser family (`Chrome`).
    Browser,
    /// Browser major version.
    BrowserVersion,
    /// OS family.
    Os,
    /// OS version.
    OsVersion,
    /// `desktop`, `mobile`, `tablet`, `bot`, `other`.
    DeviceClass,
    /// Effective connection type (`4g`, `3g`, `2g`, `slow-2g`, `unknown`).
    EffectiveType,
    /// Physical connection type (`wifi`, `cellular`).
    ConnectionType,
    /// Application release.
    Release,
    /// Deployment environment.
    Environment,
    /// Host of the referrer.
    ReferrerHost,
    /// How the page view started (`navigate`, `reload`, `route_change`…); events other
    /// than the view take their view's.
    NavigationType,
    /// A user attribute (`user.attributes` of the agent), its value as text.
    UserAttribute(String),
    /// A global context attribute, its value as text.
    Attribute(String),
}

impl Dimension {
    /// Checks an attribute key.
    pub fn validate(&self, field: &str) -> Result<(), QueryError> {
        if let Self::UserAttribute(key) | Self::Attribute(key) = self
            && (key.is_empty() || key.len() > MAX_VALUE_BYTES)
        {
            return Err(QueryError::invalid(field, "an attribute key has 1 to 256 bytes"));
        }
        Ok(())
    }
}

/// Keeps the events whose `dimension` meets `condition`. In JSON:
/// `{"dimension": "country", "op": "eq", "value": "NG"}`,
/// `{"dimension": "browser", "op": "in", "values": ["Chrome", "Edge"]}`.
///
/// An event without a value for the dimension never matches `eq`, `in` or `prefix`, and
/// always matches `ne` and `not_in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "FilterJson", into = "FilterJson")]
pub struct Filter {
    /// What is compared.
    pub dimension: Dimension,
    /// How.
    pub condition: Condition,
}

/// A filter's comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Equal to the value.
    Eq(String),
    /// Not equal to the value (or no value).
    Ne(String),
    /// Equal to one of the values.
    In(Vec<String>),
    /// Equal to none of the values (or no value).
    NotIn(Vec<String>),
    /// Starts with the value.
    Prefix(String),
}

/// The comparison's name in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum FilterOp {
    Eq,
    Ne,
    In,
    NotIn,
    Prefix,
}

/// A filter as written in JSON.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FilterJson {
    dimension: Dimension,
    op: FilterOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
}

impl TryFrom<FilterJson> for Filter {
    type Error = String;

    fn try_from(json: FilterJson) -> Result<Self, String> {
        let condition = match (json.op, json.value, json.values) {
            (FilterOp::Eq, Some(value), None) => Condition::Eq(value),
            (FilterOp::Ne, Some(value), None) => Condition::Ne(value),
            (FilterOp::Prefix, Some(value), None) => Condition::Prefix(value),
            (FilterOp::In, None, Some(values)) => Condition::In(values),
            (FilterOp::NotIn, None, Some(values)) => Condition::NotIn(values),
            (FilterOp::In | FilterOp::NotIn, _, _) => {
                return Err("a filter with op `in` or `not_in` takes `values`, a list of strings".into());
            }
            _ => return Err("a filter with op `eq`, `ne` or `prefix` takes `value`, a string".into()),
        };
        Ok(Self { dimension: json.dimension, condition })
    }
}

impl From<Filter> for FilterJson {
    fn from(filter: Filter) -> Self {
        let (op, value, values) = match filter.condition {
            Condition::Eq(value) => (FilterOp::Eq, Some(value), None),
            Condition::Ne(value) => (FilterOp::Ne, Some(value), None),
            Condition::Prefix(value) => (FilterOp::Prefix, Some(value), None),
            Condition::In(values) => (FilterOp::In, None, Some(values)),
            Condition::NotIn(values) => (FilterOp::NotIn, None, Some(values)),
        };
        Self { dimension: filter.dimension, op, value, values }
    }
}

impl Filter {
    /// Checks the dimension and the sizes of the values.
    pub fn validate(&self, field: &str) -> Result<(), QueryError> {
        self.dimension.validate(&format!("{field}.dimension"))?;
        let values: &[String] = match &self.condition {
            Condition::Eq(value) | Condition::Ne(value) | Condition::Prefix(value) => std::slice::from_ref(value),
            Condition::In(values) | Condition::NotIn(values) => {
                if values.is_empty() || values.len() > MAX_FILTER_VALUES {
                    return Err(QueryError::invalid(format!("{field}.values"), "takes 1 to 100 values"));
                }
                values
            }
        };
        if values.iter().any(|value| value.len() > MAX_VALUE_BYTES) {
            return Err(QueryError::invalid(field, "a filter value has at most 256 bytes"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_and_write_as_documented() {
        let json = r#"[{"dimension":"country","op":"eq","value":"NG"},{"dimension":{"user_attribute":"plan"},"op":"in","values":["pro","team"]}]"#;
        let filters: Vec<Filter> = serde_json::from_str(json).expect("succeeds");
        assert_eq!(filters[0], Filter { dimension: Dimension::Country, condition: Condition::Eq("NG".into()) });
        assert_eq!(filters[1].dimension, Dimension::UserAttribute("plan".into()));
        assert_eq!(serde_json::to_string(&filters).expect("succeeds"), json);
    }

    #[test]
    fn malformed_filters_say_what_is_wrong() {
        let error = |json: &str| serde_json::from_str::<Filter>(json).expect_err("fails").to_string();
        assert!(error(r#"{"dimension":"country","op":"in","value":"NG"}"#).contains("takes `values`"));
        assert!(error(r#"{"dimension":"country","op":"eq","values":["NG"]}"#).contains("takes `value`"));
        assert!(error(r#"{"dimension":"planet","op":"eq","value":"x"}"#).contains("unknown variant"));
        assert!(error(r#"{"dimension":"country","op":"eq","value":"x","extra":1}"#).contains("unknown field"));
        let empty: Filter = serde_json::from_str(r#"{"dimension":"country","op":"in","values":[]}"#).expect("succeeds");
        assert!(empty.validate("filters[0]").is_err());
    }
}
