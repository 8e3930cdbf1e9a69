use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sightline_ingest::{Pipeline, Project};

use super::*;

/// A day of `sessions` sessions.
fn day(sessions: u64) -> PopulationOptions {
    PopulationOptions { window_ms: DAY_MS, sessions, ..PopulationOptions::default() }
}

fn beacons(seed: u64, options: PopulationOptions) -> Vec<GeneratedBeacon> {
    Population::new(seed, options).expect("valid options").collect()
}

fn parse(beacon: &GeneratedBeacon) -> Value {
    serde_json::from_slice(&beacon.body).expect("the body is JSON")
}

fn quantile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1]
}

/// Vital values by name, over `beacons`, with each view's route and release.
fn vitals(beacons: &[Value], name: &str) -> Vec<(f64, String, String)> {
    let mut out = Vec::new();
    for beacon in beacons {
        let context = &beacon["context"];
        for event in beacon["events"].as_array().expect("events") {
            if event["kind"] == "vital" && event["name"] == name {
                let url = event.get("view_url").unwrap_or(&context["url"]).as_str().unwrap_or("").to_owned();
                let release = context["release"].as_str().unwrap_or("").to_owned();
                out.push((event["value"].as_f64().expect("a value"), url, release));
            }
        }
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_other_seeds_do_not() {
    let options = day(80);
    let first = beacons(7, options);
    let again = beacons(7, options);
    assert!(!first.is_empty());
    assert_eq!(first.len(), again.len());
    assert!(first.iter().zip(&again).all(|(a, b)| a.body == b.body && a.headers() == b.headers()));
    let other = beacons(8, options);
    assert_ne!(first[0].body, other[0].body);
    let fixed = PopulationOptions { events_per_beacon: Some(20), ..options };
    let mut fixed = Population::new(7, fixed).expect("valid options");
    assert_ne!(fixed.next().expect("a beacon").body, first[0].body);
}

#[test]
fn beacons_come_out_in_time_order_within_the_window() {
    let options = day(250);
    let all = beacons(3, options);
    let start = (options.now_ms - options.window_ms) as f64;
    assert!(all.windows(2).all(|w| w[0].sent_at_ms <= w[1].sent_at_ms), "in send order");
    assert!(all.iter().all(|b| (start..=options.now_ms as f64).contains(&b.sent_at_ms)));
    assert!(all.iter().all(|b| b.received_at_ms as f64 > b.sent_at_ms));
    let sessions: BTreeSet<u64> = all.iter().map(|b| b.session).collect();
    assert!(sessions.len() > 235, "nearly every session sends before now: {}", sessions.len());
    for beacon in all.iter().take(300) {
        let body = parse(beacon);
        let sent_at = body["sent_at"].as_f64().expect("sent_at");
        let origin = body["context"]["time_origin"].as_f64().expect("time_origin");
        for event in body["events"].as_array().expect("events") {
            let time = event["t"].as_f64().map_or_else(|| event["ts"].as_f64().expect("t or ts"), |t| origin + t);
            assert!(time <= sent_at && time >= start - 1.0, "{event}");
        }
    }
    let without = PopulationOptions { sent_at: false, ..options };
    let first = Population::new(3, without).expect("valid options").next().expect("a beacon");
    assert!(parse(&first).get("sent_at").is_none());
}

#[test]
fn every_beacon_is_accepted_whole_by_the_pipeline() {
    let pipeline = Pipeline::default();
    let project = Project::new(shop_project()).expect("the shop project is valid");
    let natural = beacons(11, day(700));
    let fixed = beacons(12, PopulationOptions { events_per_beacon: Some(20), ..day(150) });
    let mut failures = Vec::new();
    let mut events = 0;
    for beacon in natural.iter().chain(&fixed) {
        events += beacon.events;
        match pipeline.process(&project, &beacon.request(), &beacon.body) {
            Ok(batch) if batch.outcomes.is_empty() && batch.records.len() == beacon.events => {}
            Ok(batch) => failures.push(format!(
                "session {}: {} of {} events stored, outcomes {:?}\n{}",
                beacon.session,
                batch.records.len(),
                beacon.events,
                batch.outcomes.iter().map(|(reason, n)| format!("{}={n}", reason.as_str())).collect::<Vec<_>>(),
                String::from_utf8_lossy(&beacon.body)
            )),
            Err(rejection) => failures.push(format!("session {}: rejected: {rejection}", beacon.session)),
        }
    }
    assert!(natural.len() + fixed.len() > 2_500, "{} beacons", natural.len() + fixed.len());
    assert!(events > 45_000, "{events} events");
    assert!(failures.is_empty(), "{} of the beacons were not stored whole:\n{}", failures.len(), failures[0]);
}

#[test]
fn a_fixed_batch_size_is_exact() {
    for size in [1, 7, 20, 100] {
        let all = beacons(5, PopulationOptions { events_per_beacon: Some(size), ..day(25) });
        assert!(all.iter().all(|b| b.events == size && parse(b)["events"].as_array().map(Vec::len) == Some(size)));
    }
    assert!(Population::new(5, PopulationOptions { events_per_beacon: Some(501), ..day(1) }).is_err());
    assert!(Population::new(5, PopulationOptions { window_ms: 0, ..day(1) }).is_err());
}

#[test]
fn the_distributions_tell_a_plausible_story() {
    let all: Vec<Value> =
        beacons(1, PopulationOptions { sessions: 800, ..PopulationOptions::default() }).iter().map(parse).collect();
    let events: usize = all.iter().map(|b| b["events"].as_array().map_or(0, Vec::len)).sum();
    let per_beacon = events as f64 / all.len() as f64;
    assert!((15.0..25.0).contains(&per_beacon), "about 20 events per beacon, got {per_beacon:.1}");

    let views: Vec<&Value> =
        all.iter().flat_map(|b| b["events"].as_array().expect("events")).filter(|e| e["kind"] == "view").collect();
    assert!(views.len() > 2_000, "{} views", views.len());
    let errors =
        all.iter().flat_map(|b| b["events"].as_array().expect("events")).filter(|e| e["kind"] == "error").count();
    let error_share = errors as f64 / views.len() as f64;
    assert!((0.02..0.10).contains(&error_share), "a few percent of views have an error: {error_share:.3}");

    let mut lcp: Vec<f64> = vitals(&all, "lcp").iter().map(|v| v.0).collect();
    let p75 = quantile(&mut lcp, 0.75);
    assert!((2_000.0..4_500.0).contains(&p75), "LCP p75 {p75:.0} ms");
    let mut inp: Vec<f64> = vitals(&all, "inp").iter().map(|v| v.0).collect();
    let poor = inp.iter().filter(|v| **v > 500.0).count() as f64 / inp.len() as f64;
    assert!(quantile(&mut inp, 0.75) < 200.0 && (0.005..0.08).contains(&poor), "INP mostly good, some poor: {poor:.3}");
    let cls: Vec<f64> = vitals(&all, "cls").iter().map(|v| v.0).collect();
    let poor = cls.iter().filter(|v| **v > 0.25).count() as f64 / cls.len() as f64;
    assert!((0.01..0.10).contains(&poor), "a few poor CLS: {poor:.3}");

    let paths: BTreeSet<String> = all
        .iter()
        .map(|b| b["context"]["url"].as_str().expect("url").trim_start_matches(session::ORIGIN).to_owned())
        .map(|path| path.split(['/', '?']).nth(1).unwrap_or("").to_owned())
        .collect();
    for route in ["", "products", "category", "search", "cart", "checkout", "orders", "account"] {
        assert!(paths.contains(route), "/{route} appears: {paths:?}");
    }
    let kinds: BTreeSet<&str> =
        all.iter().flat_map(|b| b["events"].as_array().expect("events")).filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.len(), 8, "every kind: {kinds:?}");
}

#[test]
fn the_bad_release_regressed_product_pages() {
    let all: Vec<Value> =
        beacons(2, PopulationOptions { sessions: 1_200, ..PopulationOptions::default() }).iter().map(parse).collect();
    let product_lcp = |release: &str| {
        let mut values: Vec<f64> = vitals(&all, "lcp")
            .into_iter()
            .filter(|(_, url, r)| r == release && url.contains("/products/"))
            .map(|v| v.0)
            .collect();
        quantile(&mut values, 0.75)
    };
    let (bad, fixed) = (product_lcp(world::BAD_RELEASE), product_lcp("2.4.1"));
    assert!(bad > fixed * 1.3, "2.4.0 LCP p75 {bad:.0} ms vs 2.4.1 {fixed:.0} ms");
    // Errors per view, by release; and which messages there are.
    let mut by_release: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut messages: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for beacon in &all {
        let release = beacon["context"]["release"].as_str().expect("release");
        let counts = by_release.entry(release).or_default();
        for event in beacon["events"].as_array().expect("events") {
            match event["kind"].as_str() {
                Some("view") => counts.0 += 1,
                Some("error") => {
                    counts.1 += 1;
                    messages.entry(event["message"].as_str().expect("message")).or_default().insert(release);
                }
                _ => {}
            }
        }
    }
    let share = |release: &str| by_release.get(release).map_or(0.0, |(views, errors)| *errors as f64 / *views as f64);
    assert!(share(world::BAD_RELEASE) > 2.0 * share("2.4.1"), "{by_release:?}");
    assert!((5..=8).contains(&messages.len()), "a handful of distinct errors to group: {messages:?}");
    let bad: Vec<&str> = messages[world::BAD_RELEASE_ERROR.message].iter().copied().collect();
    assert_eq!(bad, [world::BAD_RELEASE], "only the bad release throws its error");
}

#[test]
fn traffic_follows_the_local_day_and_countries_vary() {
    let all = beacons(4, PopulationOptions { sessions: 1_200, ..PopulationOptions::default() });
    let mut by_country: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut evening, mut night) = (0, 0);
    for beacon in all.iter().filter(|b| b.country == "US") {
        let hour = ((beacon.sent_at_ms / 3_600_000.0 - 5.0).rem_euclid(24.0)) as usize;
        match hour {
            18..=21 => evening += 1,
            2..=5 => night += 1,
            _ => {}
        }
    }
    for beacon in &all {
        *by_country.entry(beacon.country).or_default() += 1;
    }
    assert!(evening > night * 3, "US evening {evening} vs night {night}");
    assert!(by_country.len() >= 18, "{by_country:?}");
    let mobile = all.iter().filter(|b| b.browser.mobile).count() as f64 / all.len() as f64;
    assert!((0.45..0.75).contains(&mobile), "mobile share {mobile:.2}");
}

#[test]
fn ids_are_counted_as_the_agent_counts_them() {
    let all: Vec<Value> = beacons(9, day(200)).iter().map(parse).collect();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut views_per_session: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for beacon in &all {
        let context = &beacon["context"];
        let session_id = context["session_id"].as_str().expect("session_id");
        for event in beacon["events"].as_array().expect("events") {
            let view_id = event.get("view_id").unwrap_or(&context["view_id"]).as_str().expect("view_id");
            let (prefix, number) = view_id.rsplit_once('.').expect("<session id>.<view number>");
            assert_eq!(prefix, session_id);
            assert!(number.bytes().all(|b| b.is_ascii_digit()) && view_id.len() <= 64, "{view_id}");
            let id = event["id"].as_str().expect("id");
            assert!(id.len() <= 3 && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            assert!(seen.insert((view_id.to_owned(), id.to_owned())), "{view_id} {id} twice");
            views_per_session.entry(session_id.to_owned()).or_default().insert(number.to_owned());
        }
    }
    // Every view number of a session from 0 up, none skipped.
    for numbers in views_per_session.values() {
        let expected: BTreeSet<String> = (0..numbers.len()).map(|n| n.to_string()).collect();
        assert_eq!(*numbers, expected);
    }
    assert!(seen.iter().any(|(_, id)| id == "10"), "counted past 9");
}

#[test]
fn a_population_with_kinds_sends_the_same_events_of_those_kinds_and_no_others() {
    let options = day(60);
    let kept = [EventKind::View, EventKind::Error];
    let events_of_kept_kinds = |beacons: &[GeneratedBeacon]| -> Vec<Value> {
        let events = beacons.iter().flat_map(|beacon| parse(beacon)["events"].as_array().cloned().unwrap_or_default());
        events.filter(|event| ["view", "error"].contains(&event["kind"].as_str().unwrap_or(""))).collect()
    };
    let all = beacons(5, options);
    let filtered: Vec<GeneratedBeacon> =
        Population::new(5, options).expect("valid options").with_kinds(&kept).collect();
    assert_eq!(filtered.len(), all.len(), "the same beacons, at the same times");
    assert!(filtered.iter().zip(&all).all(|(a, b)| a.sent_at_ms == b.sent_at_ms));
    let counted: usize = filtered.iter().map(|beacon| beacon.events).sum();
    assert_eq!(counted, events_of_kept_kinds(&filtered).len(), "no other kind, and `events` counts them");
    assert_eq!(events_of_kept_kinds(&filtered), events_of_kept_kinds(&all));
    assert!(counted > 0 && counted < all.iter().map(|beacon| beacon.events).sum::<usize>());
}

#[test]
fn the_parts_of_a_population_hold_its_sessions_once_in_start_order() {
    let whole = day(400);
    let whole_beacons = beacons(3, whole).len() as f64;
    let parts = 4;
    let mut seen = BTreeSet::new();
    let mut part_beacons = 0;
    let mut medians = Vec::new();
    for index in 0..parts {
        let part = beacons(3, PopulationOptions { part: Part { index, parts }, ..whole });
        let first = 400 * index / parts;
        assert!(part.iter().all(|b| (first..first + 100).contains(&b.session)), "part {index}: sessions {first}..");
        let sessions: BTreeSet<u64> = part.iter().map(|b| b.session).collect();
        assert!(sessions.len() > 90, "part {index}: nearly every session sends: {}", sessions.len());
        assert!(seen.is_disjoint(&sessions));
        seen.extend(sessions);
        let mut times: Vec<f64> = part.iter().map(|b| b.sent_at_ms).collect();
        medians.push(quantile(&mut times, 0.5));
        part_beacons += part.len();
    }
    assert!(medians.windows(2).all(|w| w[0] < w[1]), "later parts start later: {medians:?}");
    let ratio = part_beacons as f64 / whole_beacons;
    assert!((0.85..1.15).contains(&ratio), "the parts send about what the whole does: {ratio}");
    assert!(Population::new(3, PopulationOptions { part: Part { index: 4, parts: 4 }, ..whole }).is_err());
}
