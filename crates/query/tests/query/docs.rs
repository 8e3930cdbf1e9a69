//! Every JSON example of `docs/query.md` reads as a query (a valid one), an answer or a
//! filter, so that the page cannot drift from the types.

use sightline_query::{Filter, Query, QueryResult};

#[test]
fn the_examples_of_the_docs_parse() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/query.md");
    let page = std::fs::read_to_string(path).expect("docs/query.md is readable");
    let mut blocks = page.split("```json\n").skip(1).map(|rest| rest.split("```").next().unwrap_or_default());
    let (mut queries, mut answers) = (0, 0);
    for block in blocks.by_ref() {
        if let Ok(query) = serde_json::from_str::<Query>(block) {
            query.validate().unwrap_or_else(|error| panic!("{block}: {error}"));
            queries += 1;
        } else if serde_json::from_str::<QueryResult>(block).is_ok() {
            answers += 1;
        } else if let Err(error) = serde_json::from_str::<Filter>(block) {
            panic!("this example of docs/query.md is neither a query, an answer nor a filter ({error}):\n{block}");
        }
    }
    assert_eq!(
        (queries, answers),
        (10, 10),
        "one query and one answer per statistics shape and a comparison, two lists, a timeline, error groups and a group"
    );
}
