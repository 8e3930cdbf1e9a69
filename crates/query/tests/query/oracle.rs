//! The reference: every statistic computed the plain way, record by record, over the
//! same records the store holds. No SQL, no shared code with the crate's planning.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sightline_protocol::{AttributeValue, EventBody, EventRecord, SamplingReason, VitalName};
use sightline_query::{Condition, Dimension, Filter, Metric, Rating, Statistic};

/// One unit: its time, its group values, weight, value, multiplicity.
#[derive(Debug, Clone)]
pub struct Unit {
    pub time_ms: i64,
    pub group: Vec<Option<String>>,
    pub session: String,
    pub w: f64,
    pub v: f64,
    pub n: f64,
}

pub struct Oracle<'a> {
    pub records: &'a [EventRecord],
    pub project: &'a str,
    pub from: i64,
    pub to: i64,
    pub filters: &'a [Filter],
}

fn attribute(value: Option<&AttributeValue>) -> Option<String> {
    match value? {
        AttributeValue::String(text) => Some(text.clone()),
        AttributeValue::Number(number) => Some(serde_json::to_string(number).expect("a number")),
        AttributeValue::Bool(flag) => Some(flag.to_string()),
    }
}

fn kind(record: &EventRecord) -> &'static str {
    match record.body {
        EventBody::View(_) => "view",
        EventBody::Vital(_) => "vital",
        EventBody::Error(_) => "error",
        EventBody::Request(_) => "request",
        EventBody::Resource(_) => "resource",
        EventBody::LongAnimationFrame(_) => "long_animation_frame",
        EventBody::Action(_) => "action",
        EventBody::Custom(_) => "custom",
    }
}

/// The last of `records` by timestamp, received time, event id.
fn last<'r>(records: impl IntoIterator<Item = &'r EventRecord>) -> Option<&'r EventRecord> {
    records.into_iter().max_by(|a, b| {
        (a.timestamp_ms, a.context.received_at_ms, &a.event_id).cmp(&(
            b.timestamp_ms,
            b.context.received_at_ms,
            &b.event_id,
        ))
    })
}

impl Oracle<'_> {
    fn in_scope(&self, record: &EventRecord, from: i64) -> bool {
        record.context.project == self.project
            && record.timestamp_ms >= from
            && record.timestamp_ms < self.to
            && record.context.sampling_reason == SamplingReason::Sampled
    }

    /// The navigation type of each view (looked up a day back, as documented).
    fn navigation_types(&self) -> HashMap<&str, String> {
        let mut types = HashMap::new();
        for record in self.records {
            if let EventBody::View(view) = &record.body
                && self.in_scope(record, self.from - 86_400_000)
            {
                let known: &mut String = types.entry(record.view_id.as_str()).or_default();
                let value = view.navigation_type.as_str().to_owned();
                if value > *known {
                    *known = value;
                }
            }
        }
        types
    }

    pub fn dimension(
        &self,
        record: &EventRecord,
        dimension: &Dimension,
        navigation: &HashMap<&str, String>,
    ) -> Option<String> {
        let c = &record.context;
        match dimension {
            Dimension::Route => Some(record.page.route.clone()),
            Dimension::Host => Some(record.page.host.clone()),
            Dimension::Path => Some(record.page.path.clone()),
            Dimension::Country => c.geo.country.clone(),
            Dimension::Region => c.geo.region.clone(),
            Dimension::City => c.geo.city.clone(),
            Dimension::Browser => Some(c.client.browser.clone()),
            Dimension::BrowserVersion => Some(c.client.browser_version.clone()),
            Dimension::Os => Some(c.client.os.clone()),
            Dimension::OsVersion => Some(c.client.os_version.clone()),
            Dimension::DeviceClass => Some(c.client.device_class.as_str().to_owned()),
            Dimension::EffectiveType => Some(c.network.effective_type.clone()),
            Dimension::ConnectionType => c.network.connection_type.clone(),
            Dimension::Release => c.release.clone(),
            Dimension::Environment => c.environment.clone(),
            Dimension::ReferrerHost => c.referrer_host.clone(),
            Dimension::NavigationType => match &record.body {
                EventBody::View(view) => Some(view.navigation_type.as_str().to_owned()),
                _ => navigation.get(record.view_id.as_str()).cloned(),
            },
            Dimension::UserAttribute(key) => attribute(c.user_attributes.get(key)),
            Dimension::Attribute(key) => attribute(c.attributes.get(key)),
        }
    }

    fn passes(&self, record: &EventRecord, navigation: &HashMap<&str, String>) -> bool {
        self.filters.iter().all(|filter| {
            let value = self.dimension(record, &filter.dimension, navigation);
            match &filter.condition {
                Condition::Eq(x) => value.as_deref() == Some(x.as_str()),
                Condition::Ne(x) => value.as_deref() != Some(x.as_str()),
                Condition::In(xs) => value.is_some_and(|v| xs.contains(&v)),
                Condition::NotIn(xs) => value.is_none_or(|v| !xs.contains(&v)),
                Condition::Prefix(x) => value.is_some_and(|v| v.starts_with(x.as_str())),
            }
        })
    }

    /// The final value of each vital of each view in scope.
    fn final_vitals(&self) -> HashMap<(&str, VitalName), &EventRecord> {
        let mut reports: HashMap<(&str, VitalName), Vec<&EventRecord>> = HashMap::new();
        for record in self.records {
            if let EventBody::Vital(vital) = &record.body
                && self.in_scope(record, self.from)
            {
                reports.entry((record.view_id.as_str(), vital.name)).or_default().push(record);
            }
        }
        reports.into_iter().filter_map(|(key, list)| Some((key, last(list)?))).collect()
    }

    /// The units of `metric`, grouped by `dims`.
    pub fn units(&self, metric: &Metric, dims: &[Dimension]) -> Vec<Unit> {
        let navigation = self.navigation_types();
        let unit = |record: &EventRecord, v: f64, n: f64| Unit {
            time_ms: record.timestamp_ms,
            group: dims.iter().map(|d| self.dimension(record, d, &navigation)).collect(),
            session: record.context.session_id.clone(),
            w: 1.0 / record.context.sample_rate,
            v,
            n,
        };
        let rows: Vec<&EventRecord> =
            self.records.iter().filter(|r| self.in_scope(r, self.from) && self.passes(r, &navigation)).collect();
        // A view's final row is chosen among all its rows in scope, and then filtered.
        let scoped: Vec<&EventRecord> = self.records.iter().filter(|r| self.in_scope(r, self.from)).collect();
        let final_rows = |keep: &dyn Fn(&EventRecord) -> bool| -> Vec<&EventRecord> {
            last_per_view(scoped.iter().copied().filter(|r| keep(r)).collect())
                .into_iter()
                .filter(|r| self.passes(r, &navigation))
                .collect()
        };
        let views = || final_rows(&|r| kind(r) == "view");

        if let Some(name) = metric.vital() {
            return final_rows(&|r| matches!(&r.body, EventBody::Vital(v) if v.name == name))
                .into_iter()
                .map(|r| match &r.body {
                    EventBody::Vital(v) => unit(r, v.value, 1.0),
                    _ => unreachable!(),
                })
                .collect();
        }
        let timing = |r: &EventRecord| -> Option<f64> {
            let EventBody::View(view) = &r.body else { return None };
            let t = view.timing.as_ref()?;
            match metric {
                Metric::NavRedirect => t.redirect,
                Metric::NavDns => t.dns,
                Metric::NavConnect => t.connect,
                Metric::NavTls => t.tls,
                Metric::NavRequest => t.request,
                Metric::NavResponse => t.response,
                Metric::DomInteractive => t.dom_interactive,
                Metric::DomContentLoaded => t.dom_content_loaded,
                Metric::Load => t.load,
                _ => None,
            }
        };
        match metric {
            Metric::NavRedirect
            | Metric::NavDns
            | Metric::NavConnect
            | Metric::NavTls
            | Metric::NavRequest
            | Metric::NavResponse
            | Metric::DomInteractive
            | Metric::DomContentLoaded
            | Metric::Load => final_rows(&|r| timing(r).is_some())
                .into_iter()
                .map(|r| unit(r, timing(r).unwrap_or_default(), 1.0))
                .collect(),
            Metric::RequestDuration => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::Request(q) => Some(unit(r, q.duration, 1.0)),
                    _ => None,
                })
                .collect(),
            Metric::LongAnimationFrameDuration => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::LongAnimationFrame(f) => Some(unit(r, f.duration, 1.0)),
                    _ => None,
                })
                .collect(),
            Metric::Custom(name) => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::Custom(c) if &c.name == name => c.value.map(|v| unit(r, v, 1.0)),
                    _ => None,
                })
                .collect(),
            Metric::PageViews => views().into_iter().map(|r| unit(r, 1.0, 1.0)).collect(),
            Metric::Sessions => views().into_iter().map(|r| unit(r, 1.0, 1.0)).collect(),
            Metric::Errors => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::Error(e) => Some(unit(r, 1.0, f64::from(e.count))),
                    _ => None,
                })
                .collect(),
            Metric::Requests => rows.iter().filter(|r| kind(r) == "request").map(|r| unit(r, 1.0, 1.0)).collect(),
            Metric::Actions | Metric::RageClicks | Metric::DeadClicks => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::Action(a)
                        if *metric == Metric::Actions
                            || (*metric == Metric::RageClicks && a.rage)
                            || (*metric == Metric::DeadClicks && a.dead) =>
                    {
                        Some(unit(r, 1.0, 1.0))
                    }
                    _ => None,
                })
                .collect(),
            Metric::ErrorRate => {
                let with_errors: BTreeSet<&str> = self
                    .records
                    .iter()
                    .filter(|r| kind(r) == "error" && self.in_scope(r, self.from))
                    .map(|r| r.view_id.as_str())
                    .collect();
                views()
                    .into_iter()
                    .map(|r| unit(r, f64::from(u8::from(with_errors.contains(r.view_id.as_str()))), 1.0))
                    .collect()
            }
            Metric::SessionErrorRate | Metric::BounceRate => {
                // One unit per view here; `sessions` below makes it one per session.
                let mut errors: BTreeSet<&str> = BTreeSet::new();
                let mut views_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
                for r in self.records.iter().filter(|r| self.in_scope(r, self.from)) {
                    match kind(r) {
                        "error" => {
                            errors.insert(r.context.session_id.as_str());
                        }
                        "view" => {
                            views_of.entry(r.context.session_id.as_str()).or_default().insert(r.view_id.as_str());
                        }
                        _ => {}
                    }
                }
                views()
                    .into_iter()
                    .map(|r| {
                        let session = r.context.session_id.as_str();
                        let yes = if *metric == Metric::SessionErrorRate {
                            errors.contains(session)
                        } else {
                            views_of.get(session).is_some_and(|views| views.len() == 1)
                        };
                        unit(r, f64::from(u8::from(yes)), 1.0)
                    })
                    .collect()
            }
            Metric::PoorVitalShare => {
                let finals = self.final_vitals();
                views()
                    .into_iter()
                    .map(|r| {
                        let poor = [VitalName::Lcp, VitalName::Inp, VitalName::Cls].iter().any(|name| {
                            finals.get(&(r.view_id.as_str(), *name)).is_some_and(|f| match &f.body {
                                EventBody::Vital(v) => Rating::of(*name, v.value) == Rating::Poor,
                                _ => false,
                            })
                        });
                        unit(r, f64::from(u8::from(poor)), 1.0)
                    })
                    .collect()
            }
            Metric::FailedRequestRate => rows
                .iter()
                .filter_map(|r| match &r.body {
                    EventBody::Request(q) => {
                        let failed = q.failure.is_some() || q.status.unwrap_or(0) == 0 || q.status.unwrap_or(0) >= 400;
                        Some(unit(r, f64::from(u8::from(failed)), 1.0))
                    }
                    _ => None,
                })
                .collect(),
            _ => unreachable!("every metric is listed"),
        }
    }
}

fn last_per_view(rows: Vec<&EventRecord>) -> Vec<&EventRecord> {
    let mut views: BTreeMap<&str, Vec<&EventRecord>> = BTreeMap::new();
    for row in rows {
        views.entry(row.view_id.as_str()).or_default().push(row);
    }
    views.into_values().filter_map(last).collect()
}

/// Sessions: one unit per distinct (key, session), weight of the session, the largest value.
pub fn sessions(units: &[Unit], key: impl Fn(&Unit) -> Vec<Option<String>>) -> Vec<Unit> {
    let mut seen: BTreeMap<(Vec<Option<String>>, String), Unit> = BTreeMap::new();
    for unit in units {
        let entry = seen.entry((key(unit), unit.session.clone())).or_insert_with(|| unit.clone());
        entry.v = entry.v.max(unit.v);
    }
    seen.into_values().collect()
}

/// The weighted q-quantile: the smallest value whose cumulative weight (of the units
/// sorted by value) reaches q × the total weight.
pub fn quantile(units: &[Unit], q: f64) -> Option<f64> {
    let mut sorted: Vec<&Unit> = units.iter().collect();
    sorted.sort_by(|a, b| a.v.total_cmp(&b.v));
    let total: f64 = sorted.iter().map(|u| u.w).sum();
    let mut cumulative = 0.0;
    for unit in sorted {
        cumulative += unit.w;
        if cumulative >= q * total {
            return Some(unit.v);
        }
    }
    None
}

/// A statistic of `metric` over `units`, by its definition.
pub fn statistic(metric: &Metric, statistic: &Statistic, units: &[Unit]) -> Option<f64> {
    let total: f64 = units.iter().map(|u| u.w).sum();
    let share = |keep: &dyn Fn(&Unit) -> bool| {
        (!units.is_empty()).then(|| units.iter().filter(|u| keep(u)).map(|u| u.w).sum::<f64>() / total)
    };
    if let Some(q) = statistic.quantile() {
        return quantile(units, q);
    }
    if let (Some(rating), Some(vital)) = (statistic.rating(), metric.vital()) {
        return share(&|u: &Unit| Rating::of(vital, u.v) == rating);
    }
    match statistic {
        Statistic::Mean | Statistic::Rate => {
            (!units.is_empty()).then(|| units.iter().map(|u| u.w * u.v).sum::<f64>() / total)
        }
        Statistic::Sum => Some(units.iter().map(|u| u.w * u.v).sum()),
        Statistic::Count => Some(units.iter().map(|u| u.w * u.n).sum()),
        _ => None,
    }
}

/// Whether two figures agree: quantiles exactly, sums and shares to 1e-9 relative.
pub fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
        (None, None) => true,
        _ => false,
    }
}
