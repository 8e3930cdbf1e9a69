//! The SQL functions the plans use besides DataFusion's own.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use sightline_protocol::derived;

/// `sightline_attribute(json, key)`: the value under `key` of an attribute map stored as
/// JSON text (`user_attributes`, `attributes`), as text: a string as it is, a number as
/// JSON writes it (`3.0`), a boolean as `true` or `false`; null when the map or the key
/// is missing.
pub(crate) const ATTRIBUTE: &str = "sightline_attribute";

fn text(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(array, &DataType::Utf8)?)
}

fn as_strings(array: &ArrayRef) -> Result<&StringArray> {
    match array.as_any().downcast_ref::<StringArray>() {
        Some(strings) => Ok(strings),
        None => exec_err!("{ATTRIBUTE}, {FINGERPRINT}, {ENDPOINT}, {URL_HOST} and {JSON_FIRST} take text"),
    }
}

/// `sightline_fingerprint(error_type, message, stack)`: the error group of an error, 16
/// hex digits (see [`crate::fingerprint`]); any argument may be null.
pub(crate) const FINGERPRINT: &str = "sightline_fingerprint";

#[derive(Debug, PartialEq, Eq, Hash)]
struct FingerprintUdf {
    signature: Signature,
}

impl ScalarUDFImpl for FingerprintUdf {
    fn name(&self) -> &str {
        FINGERPRINT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [types, messages, stacks] = arrays.as_slice() else {
            return exec_err!("{FINGERPRINT} takes three arguments");
        };
        let (types, messages, stacks) = (text(types)?, text(messages)?, text(stacks)?);
        let (types, messages, stacks) = (as_strings(&types)?, as_strings(&messages)?, as_strings(&stacks)?);
        let mut out = StringBuilder::with_capacity(types.len(), types.len() * 16);
        // Errors repeat: each distinct error of the batch is fingerprinted once.
        let mut known: HashMap<ErrorKey<'_>, String> = HashMap::new();
        for row in 0..types.len() {
            let key = (value(types, row), value(messages, row), value(stacks, row));
            let fingerprint = known.entry(key).or_insert_with(|| crate::fingerprint::fingerprint(key.0, key.1, key.2));
            out.append_value(fingerprint);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// An error's type, message and stack.
type ErrorKey<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn value(strings: &StringArray, row: usize) -> Option<&str> {
    (!strings.is_null(row)).then(|| strings.value(row))
}

/// The value of `key` in the JSON object `map`, as text.
pub(crate) fn attribute(map: &str, key: &str) -> Option<String> {
    let serde_json::Value::Object(entries) = serde_json::from_str(map).ok()? else { return None };
    match entries.get(key)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// `sightline_endpoint(url)`: the URL with each path segment that is a number, or eight or
/// more hexadecimal digits and dashes (an id, a UUID), replaced by `:id`, so that the
/// requests of one API endpoint group together: `https://api.test/orders/1234/items` →
/// `https://api.test/orders/:id/items`. The scheme and host stay; the query and fragment too.
pub(crate) const ENDPOINT: &str = "sightline_endpoint";

/// `sightline_url_host(url)`: the host (with any port) of an `http(s)://` URL, the URL as it
/// is otherwise.
pub(crate) const URL_HOST: &str = "sightline_url_host";

/// Makes two functions of type `$udf` the same when they have the same name (a function
/// pointer's address says nothing).
macro_rules! equal_by_name {
    ($udf:ty) => {
        impl PartialEq for $udf {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name
            }
        }

        impl Eq for $udf {}

        impl std::hash::Hash for $udf {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.name.hash(state);
            }
        }
    };
}

/// A function of one text argument, row by row.
#[derive(Debug)]
struct TextUdf {
    name: &'static str,
    signature: Signature,
    apply: fn(&str, &mut String),
}

equal_by_name!(TextUdf);

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [texts] = arrays.as_slice() else {
            return exec_err!("{} takes one argument", self.name);
        };
        let texts = text(texts)?;
        let texts = as_strings(&texts)?;
        let mut out = StringBuilder::with_capacity(texts.len(), texts.value_data().len());
        let mut buffer = String::new();
        for row in 0..texts.len() {
            if texts.is_null(row) {
                out.append_null();
                continue;
            }
            buffer.clear();
            (self.apply)(texts.value(row), &mut buffer);
            out.append_value(&buffer);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `sightline_json_first(json, field)`: the text `field` of the first object of a JSON
/// array stored as text (`scripts`: a frame's longest script first), with its escapes
/// undone; null when the text is not such an array or the field is missing or not text.
/// Reads past the first object without building the rest.
pub(crate) const JSON_FIRST: &str = "sightline_json_first";

/// A function of two text arguments, row by row: null when either is null or `apply` has
/// no answer.
#[derive(Debug)]
struct PairUdf {
    name: &'static str,
    signature: Signature,
    apply: fn(&str, &str) -> Option<String>,
}

equal_by_name!(PairUdf);

impl ScalarUDFImpl for PairUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [firsts, seconds] = arrays.as_slice() else {
            return exec_err!("{} takes two arguments", self.name);
        };
        let (firsts, seconds) = (text(firsts)?, text(seconds)?);
        let (firsts, seconds) = (as_strings(&firsts)?, as_strings(&seconds)?);
        let mut out = StringBuilder::with_capacity(firsts.len(), 0);
        for row in 0..firsts.len() {
            let value = (!firsts.is_null(row) && !seconds.is_null(row))
                .then(|| (self.apply)(firsts.value(row), seconds.value(row)))
                .flatten();
            out.append_option(value);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The functions, to register in a session.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let two = Signature::new(TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8]), Volatility::Immutable);
    let three = Signature::new(TypeSignature::Exact(vec![DataType::Utf8; 3]), Volatility::Immutable);
    let one = Signature::new(TypeSignature::Exact(vec![DataType::Utf8]), Volatility::Immutable);
    vec![
        ScalarUDF::new_from_impl(PairUdf { name: ATTRIBUTE, signature: two.clone(), apply: attribute }),
        ScalarUDF::new_from_impl(FingerprintUdf { signature: three }),
        ScalarUDF::new_from_impl(TextUdf { name: ENDPOINT, signature: one.clone(), apply: derived::write_endpoint }),
        ScalarUDF::new_from_impl(TextUdf {
            name: URL_HOST,
            signature: one,
            apply: |url, out| out.push_str(derived::url_host(url)),
        }),
        ScalarUDF::new_from_impl(PairUdf { name: JSON_FIRST, signature: two, apply: derived::json_first }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_read_as_text() {
        let map = r#"{"plan":"pro","seats":3.0,"beta":true,"quote":"it's"}"#;
        assert_eq!(attribute(map, "plan").as_deref(), Some("pro"));
        assert_eq!(attribute(map, "seats").as_deref(), Some("3.0"));
        assert_eq!(attribute(map, "beta").as_deref(), Some("true"));
        assert_eq!(attribute(map, "quote").as_deref(), Some("it's"));
        assert_eq!(attribute(map, "missing"), None);
        assert_eq!(attribute("not json", "plan"), None);
    }
}
