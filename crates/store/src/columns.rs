//! Events as Arrow columns: one table per event kind.
//!
//! Every kind's table starts with the same common columns (identity, time, page,
//! and the beacon context: client, location, network, release, user, sampling) and
//! goes on with the kind's own fields, flattened. [`schema`] gives a kind's schema,
//! [`BatchBuilder`] turns records into a [`RecordBatch`] of that schema, and
//! docs/storage-columns.md documents every column (a test keeps it in step).
//!
//! How a table is declared: `table` holds one builder per column type and the
//! `columns!` macro, which turns one list of columns (name, type, unit, doc, and how
//! to read the value from a record) into the schema, the builders and the row append,
//! so they can never disagree. `common` lists the common columns, `kinds` each kind's.

mod common;
mod kinds;
mod table;
#[cfg(test)]
pub(crate) mod tests;

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use sightline_protocol::{EventBody, EventKind, EventRecord};

use common::{CommonColumns, ContextJson};
use kinds::{
    ActionColumns, CustomColumns, ErrorColumns, LongAnimationFrameColumns, RequestColumns, ResourceColumns,
    ViewColumns, VitalColumns,
};
use table::ColumnSpec;

/// The schema of `kind`'s table: the common columns, then the kind's own. Built once.
pub fn schema(kind: EventKind) -> SchemaRef {
    static SCHEMAS: LazyLock<[SchemaRef; EventKind::ALL.len()]> = LazyLock::new(|| EventKind::ALL.map(build_schema));
    // `EventKind::ALL` lists the kinds in declaration order, so a kind's discriminant is its index.
    Arc::clone(&SCHEMAS[kind as usize])
}

fn build_schema(kind: EventKind) -> SchemaRef {
    let fields = CommonColumns::SPECS.iter().chain(kind_specs(kind)).map(ColumnSpec::field);
    Arc::new(Schema::new(fields.collect::<Vec<_>>()))
}

/// The specs of `kind`'s own columns (after the common ones).
fn kind_specs(kind: EventKind) -> &'static [ColumnSpec] {
    match kind {
        EventKind::View => ViewColumns::SPECS,
        EventKind::Vital => VitalColumns::SPECS,
        EventKind::Error => ErrorColumns::SPECS,
        EventKind::Request => RequestColumns::SPECS,
        EventKind::Resource => ResourceColumns::SPECS,
        EventKind::LongAnimationFrame => LongAnimationFrameColumns::SPECS,
        EventKind::Action => ActionColumns::SPECS,
        EventKind::Custom => CustomColumns::SPECS,
    }
}

/// A record was pushed into the batch of another kind: the caller routes records by
/// `record.body.kind()`, so this is a bug in the caller. The record was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} record cannot go into a {} batch", .found.as_str(), .expected.as_str())]
pub struct KindMismatch {
    /// The kind of the batch.
    pub expected: EventKind,
    /// The kind of the record.
    pub found: EventKind,
}

/// Builds a [`RecordBatch`] of one kind's [`schema`] from records, row by row.
#[derive(Debug)]
pub struct BatchBuilder {
    kind: EventKind,
    schema: SchemaRef,
    common: CommonColumns,
    body: KindColumns,
    context_json: ContextJson,
    rows: usize,
}

impl BatchBuilder {
    /// An empty builder of `kind`'s batches.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            schema: schema(kind),
            common: CommonColumns::new(),
            body: KindColumns::new(kind),
            context_json: ContextJson::default(),
            rows: 0,
        }
    }

    /// An empty builder with exactly the room `records` need, measured in a first pass
    /// over them (records of another kind are left out of the measure).
    pub fn for_records<'a>(kind: EventKind, records: impl IntoIterator<Item = &'a EventRecord>) -> Self {
        let mut context_json = ContextJson::default();
        let mut common_bytes = [0; CommonColumns::SPECS.len()];
        let mut body_bytes = vec![0; kind_specs(kind).len()];
        let mut rows = 0;
        for record in records.into_iter().filter(|record| record.body.kind() == kind) {
            CommonColumns::measure(&context_json.row(record), &mut common_bytes);
            KindColumns::measure(&record.body, &mut body_bytes);
            rows += 1;
        }
        Self {
            kind,
            schema: schema(kind),
            common: CommonColumns::with_capacity(rows, &common_bytes),
            body: KindColumns::with_capacity(kind, rows, &body_bytes),
            context_json,
            rows: 0,
        }
    }

    /// The kind of the records it takes.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// Appends `record` as one row. A record of another kind is refused (and not added).
    pub fn push(&mut self, record: &EventRecord) -> Result<(), KindMismatch> {
        let found = record.body.kind();
        if found != self.kind {
            return Err(KindMismatch { expected: self.kind, found });
        }
        self.common.push(&self.context_json.row(record));
        self.body.push(&record.body);
        self.rows += 1;
        Ok(())
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The batch of the rows appended so far; the builder starts over, empty.
    pub fn finish(&mut self) -> RecordBatch {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        self.common.finish(&mut arrays);
        self.body.finish(&mut arrays);
        self.rows = 0;
        RecordBatch::try_new(Arc::clone(&self.schema), arrays)
            .expect("the arrays are built from the same column specs as the schema")
    }
}

/// The batch of `records`, all of `kind`; its buffers are sized exactly, in a first pass.
pub fn record_batch<'a, I>(kind: EventKind, records: I) -> Result<RecordBatch, KindMismatch>
where
    I: IntoIterator<Item = &'a EventRecord>,
    I::IntoIter: Clone,
{
    let records = records.into_iter();
    let mut builder = BatchBuilder::for_records(kind, records.clone());
    for record in records {
        builder.push(record)?;
    }
    Ok(builder.finish())
}

/// The builders of one kind's own columns.
#[derive(Debug)]
#[expect(clippy::large_enum_variant, reason = "one per batch builder, made once and never moved per row")]
enum KindColumns {
    View(ViewColumns),
    Vital(VitalColumns),
    Error(ErrorColumns),
    Request(RequestColumns),
    Resource(ResourceColumns),
    LongAnimationFrame(LongAnimationFrameColumns),
    Action(ActionColumns),
    Custom(CustomColumns),
}

impl KindColumns {
    fn new(kind: EventKind) -> Self {
        match kind {
            EventKind::View => Self::View(ViewColumns::new()),
            EventKind::Vital => Self::Vital(VitalColumns::new()),
            EventKind::Error => Self::Error(ErrorColumns::new()),
            EventKind::Request => Self::Request(RequestColumns::new()),
            EventKind::Resource => Self::Resource(ResourceColumns::new()),
            EventKind::LongAnimationFrame => Self::LongAnimationFrame(LongAnimationFrameColumns::new()),
            EventKind::Action => Self::Action(ActionColumns::new()),
            EventKind::Custom => Self::Custom(CustomColumns::new()),
        }
    }

    fn with_capacity(kind: EventKind, rows: usize, bytes: &[usize]) -> Self {
        match kind {
            EventKind::View => Self::View(ViewColumns::with_capacity(rows, bytes)),
            EventKind::Vital => Self::Vital(VitalColumns::with_capacity(rows, bytes)),
            EventKind::Error => Self::Error(ErrorColumns::with_capacity(rows, bytes)),
            EventKind::Request => Self::Request(RequestColumns::with_capacity(rows, bytes)),
            EventKind::Resource => Self::Resource(ResourceColumns::with_capacity(rows, bytes)),
            EventKind::LongAnimationFrame => {
                Self::LongAnimationFrame(LongAnimationFrameColumns::with_capacity(rows, bytes))
            }
            EventKind::Action => Self::Action(ActionColumns::with_capacity(rows, bytes)),
            EventKind::Custom => Self::Custom(CustomColumns::with_capacity(rows, bytes)),
        }
    }

    /// Adds the text bytes of `body`'s own columns to `bytes`.
    fn measure(body: &EventBody, bytes: &mut [usize]) {
        match body {
            EventBody::View(event) => ViewColumns::measure(event, bytes),
            EventBody::Vital(event) => VitalColumns::measure(event, bytes),
            EventBody::Error(event) => ErrorColumns::measure(event, bytes),
            EventBody::Request(event) => RequestColumns::measure(event, bytes),
            EventBody::Resource(event) => ResourceColumns::measure(event, bytes),
            EventBody::LongAnimationFrame(event) => LongAnimationFrameColumns::measure(event, bytes),
            EventBody::Action(event) => ActionColumns::measure(event, bytes),
            EventBody::Custom(event) => CustomColumns::measure(event, bytes),
        }
    }

    /// Appends `body`, whose kind the caller has checked.
    fn push(&mut self, body: &EventBody) {
        match (self, body) {
            (Self::View(columns), EventBody::View(event)) => columns.push(event),
            (Self::Vital(columns), EventBody::Vital(event)) => columns.push(event),
            (Self::Error(columns), EventBody::Error(event)) => columns.push(event),
            (Self::Request(columns), EventBody::Request(event)) => columns.push(event),
            (Self::Resource(columns), EventBody::Resource(event)) => columns.push(event),
            (Self::LongAnimationFrame(columns), EventBody::LongAnimationFrame(event)) => columns.push(event),
            (Self::Action(columns), EventBody::Action(event)) => columns.push(event),
            (Self::Custom(columns), EventBody::Custom(event)) => columns.push(event),
            _ => unreachable!("BatchBuilder::push checks the kind first"),
        }
    }

    fn finish(&mut self, arrays: &mut Vec<ArrayRef>) {
        match self {
            Self::View(columns) => columns.finish(arrays),
            Self::Vital(columns) => columns.finish(arrays),
            Self::Error(columns) => columns.finish(arrays),
            Self::Request(columns) => columns.finish(arrays),
            Self::Resource(columns) => columns.finish(arrays),
            Self::LongAnimationFrame(columns) => columns.finish(arrays),
            Self::Action(columns) => columns.finish(arrays),
            Self::Custom(columns) => columns.finish(arrays),
        }
    }
}
