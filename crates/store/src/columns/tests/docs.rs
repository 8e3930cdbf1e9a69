//! Keeps docs/storage-columns.md in step with the schemas: its column tables are
//! generated from them. After changing a column, regenerate the tables with
//! `SIGHTLINE_UPDATE_DOCS=1 cargo nextest run -p sightline-store columns`.

use std::fmt::Write as _;
use std::path::PathBuf;

use sightline_protocol::{EventKind, QualityFlags};

use crate::columns::common::CommonColumns;
use crate::columns::table::ColumnSpec;
use crate::columns::{kind_specs, schema};

const BEGIN: &str = "<!-- columns: generated from the schemas by crates/store/src/columns/tests/docs.rs -->\n";
const END: &str = "<!-- columns: end -->\n";

fn docs_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/storage-columns.md")
}

/// The column tables: the common columns, then each kind's own.
fn column_tables() -> String {
    let mut out = String::new();
    let common = CommonColumns::SPECS.len();
    out.push_str("### Common columns\n\nThe first columns of every table.\n\n");
    table(&mut out, CommonColumns::SPECS, EventKind::View, 0);
    for kind in EventKind::ALL {
        let _ = write!(out, "\n### `{}`\n\nAfter the common columns.\n\n", kind.as_str());
        table(&mut out, kind_specs(kind), kind, common);
    }
    out
}

/// One Markdown table of `specs`, which are `kind`'s schema's fields from `offset` on.
fn table(out: &mut String, specs: &[ColumnSpec], kind: EventKind, offset: usize) {
    let schema = schema(kind);
    out.push_str("| column | type | unit | meaning |\n|---|---|---|---|\n");
    for (at, spec) in specs.iter().enumerate() {
        let field = schema.field(offset + at);
        assert_eq!(field.name(), spec.name, "the specs are the schema's fields");
        assert_eq!(field.data_type(), &spec.column_type.data_type());
        let doc = spec.doc.trim();
        assert!(!doc.contains('|') && !doc.is_empty(), "column {} needs a one-line doc without `|`", spec.name);
        let null = if field.is_nullable() { "" } else { ", not null" };
        let _ = writeln!(out, "| `{}` | {}{null} | {} | {doc} |", spec.name, spec.column_type.doc_name(), spec.unit);
    }
}

#[test]
fn docs_list_every_column_of_every_kind() {
    let path = docs_path();
    let docs = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let (before, rest) = docs.split_once(BEGIN).expect("docs/storage-columns.md has the begin marker");
    let (documented, after) = rest.split_once(END).expect("docs/storage-columns.md has the end marker");
    let generated = column_tables();
    if std::env::var_os("SIGHTLINE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{before}{BEGIN}{generated}{END}{after}")).expect("write the docs");
        return;
    }
    assert!(
        documented == generated,
        "the column tables of docs/storage-columns.md differ from the schemas; regenerate them with \
         `SIGHTLINE_UPDATE_DOCS=1 cargo nextest run -p sightline-store columns`"
    );
}

#[test]
fn the_quality_column_names_every_flag() {
    let quality = CommonColumns::SPECS.iter().find(|spec| spec.name == "quality").expect("a quality column");
    for (bit, name) in QualityFlags::NAMES {
        assert!(quality.doc.contains(&format!("{bit} {name}")), "the quality doc names {bit} {name}");
    }
}
