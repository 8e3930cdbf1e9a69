//! The batches survive Parquet and can be queried with DataFusion SQL.

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::prelude::SessionContext;
use sightline_protocol::EventKind;

use super::fixtures::{bare, full};
use crate::columns::{record_batch, schema};

fn full_and_bare(kind: EventKind) -> RecordBatch {
    record_batch(kind, [&full(kind), &bare(kind)]).expect("records of the kind")
}

#[test]
fn batches_round_trip_through_parquet() {
    for kind in EventKind::ALL {
        let batch = full_and_bare(kind);
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), None).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");

        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).expect("reader").build();
        let read: Vec<RecordBatch> = reader.expect("batches").collect::<Result<_, _>>().expect("read");
        assert_eq!(read, [batch], "{kind:?}");
    }
}

#[tokio::test]
async fn every_column_is_queried_by_its_plain_name() {
    let session = SessionContext::new();
    for kind in EventKind::ALL {
        let batch = full_and_bare(kind);
        session.register_batch(kind.as_str(), batch.clone()).expect("register");
        let schema = schema(kind);
        let columns: Vec<&str> = schema.fields().iter().map(|field| field.name().as_str()).collect();
        let sql = format!("SELECT {} FROM \"{}\"", columns.join(", "), kind.as_str());
        let rows = session.sql(&sql).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
        let selected = rows.collect().await.expect("collect");
        assert_eq!(selected, [batch], "{kind:?}");
    }

    let sql = "SELECT name, count(*) AS n, max(value) AS worst FROM vital \
               WHERE timestamp >= TIMESTAMP '2025-12-01T00:00:00Z' AND sample_rate > 0 GROUP BY name ORDER BY name";
    let rows = session.sql(sql).await.expect("plan").collect().await.expect("run");
    let table = datafusion::arrow::util::pretty::pretty_format_batches(&rows).expect("format").to_string();
    assert_eq!(
        table.lines().collect::<Vec<_>>(),
        [
            "+------+---+-------+",
            "| name | n | worst |",
            "+------+---+-------+",
            "| cls  | 1 | 0.05  |",
            "| inp  | 1 | 208.2 |",
            "+------+---+-------+",
        ]
    );

    // The example query of docs/storage-columns.md runs.
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/storage-columns.md"))
        .expect("read docs/storage-columns.md");
    let (_, example) = docs.split_once("```sql\n").expect("docs/storage-columns.md has an example query");
    let (example, _) = example.split_once("```").expect("the example query's block is closed");
    let example = example.trim().trim_end_matches(';');
    let rows = session.sql(example).await.unwrap_or_else(|error| panic!("{example}: {error}"));
    rows.collect().await.expect("the example query runs");
}
