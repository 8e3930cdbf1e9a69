//! Aligned text tables: a header, a rule, the rows; numbers aligned right.

/// The table as text, each line ending in a newline.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|title| title.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|i| !rows.is_empty() && rows.iter().all(|row| row.get(i).is_some_and(|cell| is_number(cell))))
        .collect();
    let mut text = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, text: &mut String| {
        let parts: Vec<String> = cells
            .enumerate()
            .map(|(i, cell)| {
                let width = widths[i];
                if numeric[i] { format!("{cell:>width$}") } else { format!("{cell:<width$}") }
            })
            .collect();
        text.push_str(parts.join("  ").trim_end());
        text.push('\n');
    };
    line(&mut header.iter().copied(), &mut text);
    let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
    text.push_str(&rule.join("  "));
    text.push('\n');
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut text);
    }
    text
}

fn is_number(cell: &str) -> bool {
    cell == "-" || cell.trim_end_matches('%').parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn columns_are_aligned_and_numbers_right_aligned() {
        let rows = vec![vec!["DE".to_owned(), "1200".to_owned()], vec!["(other)".to_owned(), "95.5".to_owned()]];
        let text = render(&["COUNTRY", "P75"], &rows);
        assert_eq!(text, "COUNTRY   P75\n-------  ----\nDE       1200\n(other)  95.5\n");
    }
}
