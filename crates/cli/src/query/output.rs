//! The answer as tables, read from its JSON so that a shape this CLI does not know yet is
//! still printed (as JSON).

use anyhow::Context as _;
use serde_json::Value;

use crate::table::render;

/// The answer as text: a table for the shapes known here, pretty JSON otherwise.
pub fn table(answer: &Value) -> anyhow::Result<String> {
    let text = match answer["shape"].as_str() {
        Some("values") => values(answer),
        Some("time_series") => series(answer),
        Some("breakdown") => breakdown(answer),
        Some("distribution") => distribution(answer),
        None if answer.get("columns").is_some() => sql(answer),
        _ => None,
    };
    match text {
        Some(text) => Ok(text),
        None => Ok(format!("{}\n", serde_json::to_string_pretty(answer).context("the answer")?)),
    }
}

fn values(answer: &Value) -> Option<String> {
    let tiles = answer["values"].as_array()?;
    let compared = tiles.iter().any(|tile| tile.get("comparison").is_some());
    let rows = tiles
        .iter()
        .map(|tile| {
            let mut row = vec![
                label(&tile["metric"]),
                label(&tile["statistic"]),
                number(&tile["value"]),
                count(&tile["samples"]),
            ];
            if compared {
                let comparison = &tile["comparison"];
                row.extend([
                    number(&comparison["baseline"]),
                    number(&comparison["difference"]),
                    percent(&comparison["relative"]),
                ]);
            }
            row
        })
        .collect::<Vec<_>>();
    let mut header = vec!["METRIC", "STATISTIC", "VALUE", "SAMPLES"];
    if compared {
        header.extend(["BASELINE", "DIFFERENCE", "CHANGE"]);
    }
    Some(render(&header, &rows))
}

fn series(answer: &Value) -> Option<String> {
    let statistics = titles(&answer["statistics"])?;
    let grouped = answer.get("group_by").is_some();
    let mut rows = Vec::new();
    for series in answer["series"].as_array()? {
        let group = group_label(&series["group"], &series["other"]);
        for point in series["points"].as_array()? {
            let mut row = vec![point["time"].as_str().unwrap_or_default().to_owned()];
            if grouped {
                row.push(group.clone());
            }
            row.extend(point["values"].as_array()?.iter().map(number));
            row.extend([number(&point["count"]), count(&point["samples"])]);
            rows.push(row);
        }
    }
    let mut header = vec!["TIME".to_owned()];
    if grouped {
        header.push(label(&answer["group_by"]).to_uppercase());
    }
    header.extend(statistics);
    header.extend(["UNITS".to_owned(), "SAMPLES".to_owned()]);
    Some(render(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows))
}

fn breakdown(answer: &Value) -> Option<String> {
    let statistics = titles(&answer["statistics"])?;
    let mut header: Vec<String> =
        answer["group_by"].as_array()?.iter().map(|dimension| label(dimension).to_uppercase()).collect();
    header.extend(statistics);
    header.extend(["UNITS".to_owned(), "SAMPLES".to_owned()]);
    let mut rows = Vec::new();
    for row in answer["rows"].as_array()? {
        let other = row["other"].as_bool().unwrap_or(false);
        let mut cells: Vec<String> = row["group"]
            .as_array()?
            .iter()
            .map(|value| if other { "(other)".to_owned() } else { value.as_str().unwrap_or("(none)").to_owned() })
            .collect();
        cells.extend(row["values"].as_array()?.iter().map(number));
        cells.extend([number(&row["count"]), count(&row["samples"])]);
        rows.push(cells);
    }
    let mut text = render(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows);
    text.push_str(&format!("({} groups in all)\n", answer["groups"].as_u64().unwrap_or(0)));
    Some(text)
}

fn distribution(answer: &Value) -> Option<String> {
    let rows = answer["buckets"]
        .as_array()?
        .iter()
        .map(|bucket| {
            vec![
                number(&bucket["from"]),
                if bucket["to"].is_null() { "∞".to_owned() } else { number(&bucket["to"]) },
                number(&bucket["count"]),
                percent(&bucket["share"]),
                bucket["rating"].as_str().unwrap_or("").to_owned(),
            ]
        })
        .collect::<Vec<_>>();
    Some(render(&["FROM", "TO", "UNITS", "SHARE", "RATING"], &rows))
}

/// The answer of `/api/v1/sql`: its columns and rows, and a note when it was cut.
fn sql(answer: &Value) -> Option<String> {
    let header: Vec<&str> = answer["columns"].as_array()?.iter().filter_map(|column| column["name"].as_str()).collect();
    let rows = answer["rows"]
        .as_array()?
        .iter()
        .map(|row| {
            row.as_array()
                .map(|cells| {
                    cells
                        .iter()
                        .map(|cell| match cell {
                            Value::String(text) => text.clone(),
                            Value::Null => "-".to_owned(),
                            Value::Number(_) => number(cell),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect::<Vec<Vec<String>>>();
    let mut text = render(&header, &rows);
    let count = rows.len();
    text.push_str(&format!("({count} row{})\n", if count == 1 { "" } else { "s" }));
    if answer["truncated"].as_bool() == Some(true) {
        text.push_str("(more rows were left out: the server's api.sql_max_rows)\n");
    }
    Some(text)
}

fn titles(statistics: &Value) -> Option<Vec<String>> {
    Some(statistics.as_array()?.iter().map(|statistic| label(statistic).to_uppercase()).collect())
}

fn group_label(group: &Value, other: &Value) -> String {
    if other.as_bool() == Some(true) {
        return "(other)".into();
    }
    group.as_str().unwrap_or("(none)").to_owned()
}

/// A name, or `kind:parameter` for `{"kind": parameter}`.
fn label(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) => map
            .iter()
            .map(|(kind, parameter)| match parameter {
                Value::String(text) => format!("{kind}:{text}"),
                other => format!("{kind}:{other}"),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// A figure: whole numbers without decimals, others with up to three.
fn number(value: &Value) -> String {
    let Some(number) = value.as_f64() else { return "-".into() };
    if number.fract() == 0.0 && number.abs() < 1e15 {
        return format!("{number:.0}");
    }
    let text = format!("{number:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn count(value: &Value) -> String {
    value.as_u64().map_or_else(|| "-".into(), |n| n.to_string())
}

fn percent(value: &Value) -> String {
    value.as_f64().map_or_else(|| "-".into(), |share| format!("{:.1}%", share * 100.0))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::table;

    #[test]
    fn each_shape_prints_as_a_table_and_others_as_json() {
        let values = json!({"shape": "values", "values": [
            {"metric": "lcp", "statistic": "p75", "value": 2512.5, "samples": 10},
            {"metric": {"custom": "buy"}, "statistic": "sum", "value": null, "samples": 0}
        ]});
        let text = table(&values).expect("table");
        assert!(text.starts_with("METRIC      STATISTIC   VALUE  SAMPLES\n"), "{text}");
        assert!(text.contains("lcp         p75        2512.5       10"), "{text}");
        assert!(text.contains("custom:buy  sum             -        0"), "{text}");
        let breakdown = json!({"shape": "breakdown", "group_by": ["country"], "statistics": ["p75"], "groups": 3,
            "rows": [{"group": ["DE"], "values": [1200.0], "count": 4.0, "samples": 4},
                     {"group": [null], "other": true, "values": [900.0], "count": 2.0, "samples": 2}]});
        let text = table(&breakdown).expect("table");
        assert!(text.contains("COUNTRY   P75  UNITS  SAMPLES"), "{text}");
        assert!(text.contains("(other)   900      2        2"), "{text}");
        assert!(text.ends_with("(3 groups in all)\n"), "{text}");
        let unknown = json!({"shape": "session_timeline", "events": []});
        assert!(table(&unknown).expect("json").contains("\"session_timeline\""));
    }
}
