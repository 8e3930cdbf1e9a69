//! Reading the Prometheus/OpenMetrics text of `/metrics`.

/// One sample line: `name{label="value",…} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name, e.g. `sightline_outcomes_total`.
    pub name: String,
    /// Labels in order.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

/// A parsed `/metrics` answer.
#[derive(Debug, Clone, Default)]
pub struct MetricsText {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
}

impl MetricsText {
    /// Parses the text exposition; comments and `# EOF` are skipped.
    pub fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("unparsable metrics line {line:?}")))
            .collect();
        Self { samples }
    }

    /// The sum of every sample of `name` carrying all of `labels` (0 when there is none).
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|sample| sample.name == name)
            .filter(|sample| labels.iter().all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v)))
            .map(|sample| sample.value)
            .sum()
    }

    /// `sightline_outcomes_total` for one project and reason, whatever the category.
    pub fn outcome(&self, project: &str, reason: &str) -> u64 {
        count(self.sum("sightline_outcomes_total", &[("project", project), ("reason", reason)]))
    }

    /// `sightline_events_accepted_total` for one project and kind.
    pub fn events_accepted(&self, project: &str, kind: &str) -> u64 {
        count(self.sum("sightline_events_accepted_total", &[("project", project), ("kind", kind)]))
    }

    /// `sightline_intake_slow_clients_total`.
    pub fn slow_clients(&self) -> u64 {
        count(self.sum("sightline_intake_slow_clients_total", &[]))
    }

    /// Every reason counted for `project`, as `(outcome, reason, count)`, for failure messages.
    pub fn outcomes_of(&self, project: &str) -> Vec<(String, String, u64)> {
        self.samples
            .iter()
            .filter(|s| s.name == "sightline_outcomes_total")
            .filter(|s| s.labels.iter().any(|(k, v)| k == "project" && v == project))
            .map(|s| {
                let label =
                    |name: &str| s.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
                (label("outcome"), label("reason"), count(s.value))
            })
            .collect()
    }
}

fn count(value: f64) -> u64 {
    assert!(value >= 0.0 && value.fract() == 0.0, "a counter should be a whole number, got {value}");
    value as u64
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (name_and_labels, value) = line.rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let Some((name, labels)) = name_and_labels.split_once('{') else {
        return Some(Sample { name: name_and_labels.to_owned(), labels: Vec::new(), value });
    };
    let labels = parse_labels(labels.strip_suffix('}')?)?;
    Some(Sample { name: name.to_owned(), labels, value })
}

/// `a="x",b="y\"z"` → pairs, with `\\`, `\"` and `\n` unescaped.
fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (index, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break index,
                other => value.push(other),
            }
        };
        labels.push((key.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    Some(labels)
}
