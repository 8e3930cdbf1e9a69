//! The pieces a table of columns is declared with: one builder per column type,
//! the [`Put`] conversions from record fields into them, and the [`columns!`] macro
//! that writes a table's schema, builders, row append and finish from one list.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, StringBuilder, TimestampMillisecondBuilder, UInt32Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use serde::Serialize;
use sightline_protocol::Attributes;

/// Rows a fresh builder makes room for.
const INITIAL_ROWS: usize = 1024;

/// The storage type of a column, as the docs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Plain text.
    Text,
    /// JSON text: an object or an array, null when empty.
    Json,
    /// A 64-bit float.
    Float,
    /// An unsigned 32-bit integer.
    UInt,
    /// A boolean.
    Bool,
    /// Epoch milliseconds, UTC.
    Time,
}

impl ColumnType {
    /// The Arrow type.
    pub(crate) fn data_type(self) -> DataType {
        match self {
            Self::Text | Self::Json => DataType::Utf8,
            Self::Float => DataType::Float64,
            Self::UInt => DataType::UInt32,
            Self::Bool => DataType::Boolean,
            Self::Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        }
    }

    /// The name in the docs' column tables.
    #[cfg(test)]
    pub(crate) fn doc_name(self) -> &'static str {
        match self {
            Self::Text => "Utf8",
            Self::Json => "Utf8 (JSON)",
            Self::Float => "Float64",
            Self::UInt => "UInt32",
            Self::Bool => "Boolean",
            Self::Time => "Timestamp(ms, UTC)",
        }
    }
}

/// One column of a table: its name, type, nullability and documentation.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "unit and doc are read by the test that writes docs/storage-columns.md")
)]
pub(crate) struct ColumnSpec {
    /// Column name (snake_case).
    pub name: &'static str,
    /// Storage type.
    pub column_type: ColumnType,
    /// False when every row has a value.
    pub nullable: bool,
    /// Unit of the values (`ms`, `bytes`…), empty when there is none.
    pub unit: &'static str,
    /// What the column holds.
    pub doc: &'static str,
}

impl ColumnSpec {
    /// The Arrow field.
    pub(crate) fn field(&self) -> Field {
        Field::new(self.name, self.column_type.data_type(), self.nullable)
    }
}

/// A builder of one column.
pub(crate) trait Column {
    /// The storage type it builds.
    const TYPE: ColumnType;
    /// An empty builder.
    fn new() -> Self;
    /// The array of the rows appended so far; the builder starts over.
    fn finish(&mut self) -> ArrayRef;
}

/// Appends one row's value of type `V` to a column.
pub(crate) trait Put<V> {
    /// Appends `value` (or a null).
    fn put(&mut self, value: V);
}

/// A text column.
#[derive(Debug)]
pub(crate) struct Text(StringBuilder);

impl Column for Text {
    const TYPE: ColumnType = ColumnType::Text;
    fn new() -> Self {
        Self(StringBuilder::with_capacity(INITIAL_ROWS, INITIAL_ROWS * 16))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<&str> for Text {
    fn put(&mut self, value: &str) {
        self.0.append_value(value);
    }
}

impl Put<Option<&str>> for Text {
    fn put(&mut self, value: Option<&str>) {
        self.0.append_option(value);
    }
}

/// A JSON text column: values are serialized here; empty lists and objects are null.
#[derive(Debug)]
pub(crate) struct Json {
    builder: StringBuilder,
    scratch: Vec<u8>,
}

impl Json {
    fn put_serialized<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, value).expect("event fields serialize to JSON");
        let text = std::str::from_utf8(&self.scratch).expect("serde_json writes UTF-8");
        self.builder.append_value(text);
    }
}

impl Column for Json {
    const TYPE: ColumnType = ColumnType::Json;
    fn new() -> Self {
        Self { builder: StringBuilder::with_capacity(INITIAL_ROWS, INITIAL_ROWS * 16), scratch: Vec::new() }
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

/// Already serialized JSON (the per-beacon attributes, serialized once per context).
impl Put<Option<&str>> for Json {
    fn put(&mut self, value: Option<&str>) {
        self.builder.append_option(value);
    }
}

impl<T: Serialize> Put<&[T]> for Json {
    fn put(&mut self, value: &[T]) {
        if value.is_empty() {
            self.builder.append_null();
        } else {
            self.put_serialized(value);
        }
    }
}

impl Put<&Attributes> for Json {
    fn put(&mut self, value: &Attributes) {
        if value.entries.is_empty() {
            self.builder.append_null();
        } else {
            self.put_serialized(value);
        }
    }
}

/// The JSON object text of `attributes`, `None` when there are none.
pub(crate) fn attributes_json(attributes: &Attributes) -> Option<String> {
    if attributes.entries.is_empty() {
        return None;
    }
    Some(serde_json::to_string(attributes).expect("attributes serialize to JSON"))
}

/// A Float64 column.
#[derive(Debug)]
pub(crate) struct Float(Float64Builder);

impl Column for Float {
    const TYPE: ColumnType = ColumnType::Float;
    fn new() -> Self {
        Self(Float64Builder::with_capacity(INITIAL_ROWS))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<f64> for Float {
    fn put(&mut self, value: f64) {
        self.0.append_value(value);
    }
}

impl Put<Option<f64>> for Float {
    fn put(&mut self, value: Option<f64>) {
        self.0.append_option(value);
    }
}

/// A UInt32 column.
#[derive(Debug)]
pub(crate) struct UInt(UInt32Builder);

impl Column for UInt {
    const TYPE: ColumnType = ColumnType::UInt;
    fn new() -> Self {
        Self(UInt32Builder::with_capacity(INITIAL_ROWS))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<u32> for UInt {
    fn put(&mut self, value: u32) {
        self.0.append_value(value);
    }
}

impl Put<Option<u32>> for UInt {
    fn put(&mut self, value: Option<u32>) {
        self.0.append_option(value);
    }
}

/// A Boolean column.
#[derive(Debug)]
pub(crate) struct Bool(BooleanBuilder);

impl Column for Bool {
    const TYPE: ColumnType = ColumnType::Bool;
    fn new() -> Self {
        Self(BooleanBuilder::with_capacity(INITIAL_ROWS))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<bool> for Bool {
    fn put(&mut self, value: bool) {
        self.0.append_value(value);
    }
}

impl Put<Option<bool>> for Bool {
    fn put(&mut self, value: Option<bool>) {
        self.0.append_option(value);
    }
}

/// A timestamp column: epoch milliseconds, UTC.
#[derive(Debug)]
pub(crate) struct Time(TimestampMillisecondBuilder);

impl Column for Time {
    const TYPE: ColumnType = ColumnType::Time;
    fn new() -> Self {
        Self(TimestampMillisecondBuilder::with_capacity(INITIAL_ROWS).with_timezone("UTC"))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<i64> for Time {
    fn put(&mut self, value: i64) {
        self.0.append_value(value);
    }
}

/// Declares a table of columns filled from one row type:
///
/// ```text
/// columns! {
///     /// Docs of the table struct.
///     pub(crate) struct VitalColumns<VitalEvent> {
///         /// What the column holds (goes to docs/storage-columns.md).
///         value: Float in "ms" = |vital| vital.value;
///         /// Which vital.
///         name: Text(not_null) = |vital| vital.name.as_str();
///     }
/// }
/// ```
///
/// The column type is one of the builders of this module, `(not_null)` marks a column
/// that always has a value, `in "unit"` names the unit. The closure maps a `&Row` to a
/// value the builder can [`Put`]. The struct gets `SPECS` (the schema, in order),
/// `new`, `push` (one row) and `finish` (the arrays, in `SPECS` order).
macro_rules! columns {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident<$row:ty> {
            $(
                $(#[doc = $doc:literal])+
                $column:ident : $builder:ident $(($flag:ident))? $(in $unit:literal)? = |$arg:ident| $value:expr;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $($column: $crate::columns::table::$builder,)+
        }

        impl $name {
            /// The columns, in schema order.
            $vis const SPECS: &[$crate::columns::table::ColumnSpec] = &[
                $($crate::columns::table::ColumnSpec {
                    name: stringify!($column),
                    column_type: <$crate::columns::table::$builder as $crate::columns::table::Column>::TYPE,
                    nullable: $crate::columns::table::columns!(@nullable $($flag)?),
                    unit: $crate::columns::table::columns!(@unit $($unit)?),
                    doc: concat!($($doc),+),
                },)+
            ];

            /// Empty builders.
            $vis fn new() -> Self {
                Self { $($column: <$crate::columns::table::$builder as $crate::columns::table::Column>::new(),)+ }
            }

            /// Appends one row.
            $vis fn push(&mut self, row: &$row) {
                $({
                    let $arg = row;
                    $crate::columns::table::Put::put(&mut self.$column, $value);
                })+
            }

            /// Appends the arrays built so far to `arrays`, in `SPECS` order; the builders start over.
            $vis fn finish(&mut self, arrays: &mut Vec<datafusion::arrow::array::ArrayRef>) {
                $(arrays.push($crate::columns::table::Column::finish(&mut self.$column));)+
            }
        }
    };
    (@nullable) => { true };
    (@nullable not_null) => { false };
    (@unit) => { "" };
    (@unit $unit:literal) => { $unit };
}

pub(crate) use columns;
