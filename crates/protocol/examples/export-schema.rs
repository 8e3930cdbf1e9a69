//! Prints the beacon JSON Schema to stdout.
#![allow(clippy::print_stdout)]

fn main() {
    print!("{}", sightline_protocol::schema::beacon_schema_json());
}
