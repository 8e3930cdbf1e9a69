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

/// Rows a builder makes room for when it is not told how many will come.
const INITIAL_ROWS: usize = 1024;
/// Text bytes per row it then makes room for.
const INITIAL_TEXT_BYTES_PER_ROW: usize = 16;

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
    /// An empty builder with room for `rows` rows and, for text, `text_bytes` bytes: a
    /// batch built with the room it needs never regrows its buffers (each regrowth copies
    /// the column and touches fresh memory).
    fn with_capacity(rows: usize, text_bytes: usize) -> Self;
    /// An empty builder for an unknown number of rows.
    fn new() -> Self
    where
        Self: Sized,
    {
        Self::with_capacity(INITIAL_ROWS, INITIAL_ROWS * INITIAL_TEXT_BYTES_PER_ROW)
    }
    /// The array of the rows appended so far; the builder starts over.
    fn finish(&mut self) -> ArrayRef;
}

/// Appends one row's value of type `V` to a column.
pub(crate) trait Put<V> {
    /// Appends `value` (or a null).
    fn put(&mut self, value: V);
    /// The text bytes `value` takes in the column (zero for numbers).
    fn text_bytes(_value: &V) -> usize {
        0
    }
}

/// A text column.
#[derive(Debug)]
pub(crate) struct Text(StringBuilder);

impl Column for Text {
    const TYPE: ColumnType = ColumnType::Text;
    fn with_capacity(rows: usize, text_bytes: usize) -> Self {
        Self(StringBuilder::with_capacity(rows, text_bytes))
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Put<&str> for Text {
    fn put(&mut self, value: &str) {
        self.0.append_value(value);
    }
    fn text_bytes(value: &&str) -> usize {
        value.len()
    }
}

impl Put<Option<&str>> for Text {
    fn put(&mut self, value: Option<&str>) {
        self.0.append_option(value);
    }
    fn text_bytes(value: &Option<&str>) -> usize {
        value.map_or(0, str::len)
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
    fn with_capacity(rows: usize, text_bytes: usize) -> Self {
        Self { builder: StringBuilder::with_capacity(rows, text_bytes), scratch: Vec::new() }
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
    fn text_bytes(value: &Option<&str>) -> usize {
        value.map_or(0, str::len)
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
    fn with_capacity(rows: usize, _text_bytes: usize) -> Self {
        Self(Float64Builder::with_capacity(rows))
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
    fn with_capacity(rows: usize, _text_bytes: usize) -> Self {
        Self(UInt32Builder::with_capacity(rows))
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
    fn with_capacity(rows: usize, _text_bytes: usize) -> Self {
        Self(BooleanBuilder::with_capacity(rows))
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
    fn with_capacity(rows: usize, _text_bytes: usize) -> Self {
        Self(TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"))
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
/// `new`, `measure` (the text bytes of one row, per column), `with_capacity` (room for
/// measured rows), `push` (one row) and `finish` (the arrays, in `SPECS` order).
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

            /// Adds the text bytes of `row`'s values to `bytes`, one slot per column in `SPECS` order.
            $vis fn measure(row: &$row, bytes: &mut [usize]) {
                let mut slots = bytes.iter_mut();
                $(if let Some(slot) = slots.next() {
                    let $arg = row;
                    *slot += <$crate::columns::table::$builder as $crate::columns::table::Put<_>>::text_bytes(&$value);
                })+
            }

            /// Empty builders with room for `rows` rows whose text bytes per column `measure` added up.
            $vis fn with_capacity(rows: usize, bytes: &[usize]) -> Self {
                let mut bytes = bytes.iter().copied();
                Self {
                    $($column: <$crate::columns::table::$builder as $crate::columns::table::Column>::with_capacity(
                        rows,
                        bytes.next().unwrap_or(0),
                    ),)+
                }
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
