//! Abuse of a public intake: probing for keys, posting from foreign origins and
//! hosts, bots, forged forwarding headers, floods, and values invented to blow
//! up cardinality. Each is refused or contained, counted, and leaves other
//! projects and earlier data untouched.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::support::{
    BLOG_KEY, Beacon, CHROME_UA, DISABLED_KEY, GOOGLEBOT_UA, HEADLESS_CHROME_UA, SHOP_KEY, SHOP_ORIGIN, ServerOptions,
    TestServer, event, ingest_path, median,
};
use serde_json::{Value, json};
use sightline_protocol::{DeviceClass, EventBody, QualityFlags};

/// Tokens per second of the rate-limit buckets under test: so slow that no token comes
/// back during a test, whatever the machine's speed, so exactly the burst passes.
const SLOW_REFILL: f64 = 0.01;

/// Distinct lower-case words: to the route normalizer they are words, never ids.
fn random_words(count: usize, seed: u64) -> Vec<String> {
    let mut state = seed | 1;
    let mut next_letter = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        char::from(b'a' + (state % 26) as u8)
    };
    let mut words = HashSet::new();
    let mut ordered = Vec::new();
    while ordered.len() < count {
        let word: String = (0..10).map(|_| next_letter()).collect();
        if words.insert(word.clone()) {
            ordered.push(word);
        }
    }
    ordered
}

#[tokio::test]
async fn unknown_keys_refused_origins_and_disabled_projects_get_one_indistinguishable_403() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let body = Beacon::realistic().to_bytes();
    let unknown_key = ingest_path("pk_no_such_project_99");
    let headers = |origin| vec![("Content-Type", "application/json"), ("User-Agent", CHROME_UA), ("Origin", origin)];
    let cases = [
        ("unknown key", unknown_key.clone(), headers(SHOP_ORIGIN)),
        ("origin not allowed", ingest_path(SHOP_KEY), headers("https://evil.example.net")),
        ("disabled project", ingest_path(DISABLED_KEY), headers(SHOP_ORIGIN)),
    ];
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut first_answers = Vec::new();

    for round in 0..50 {
        for (index, (case, path, headers)) in cases.iter().enumerate() {
            let started = Instant::now();
            let response = server.post(path, headers, &body).await;
            timings[index].push(started.elapsed());
            if round == 0 {
                response.assert_error(403, "forbidden");
                first_answers.push((case, response));
            }
        }
    }

    let (_, reference) = &first_answers[0];
    for (case, response) in &first_answers {
        assert_eq!(response.body, reference.body, "{case}: the same body as for an unknown key");
        assert_eq!(response.header("content-type"), reference.header("content-type"), "{case}");
    }
    let medians: Vec<Duration> = timings.into_iter().map(median).collect();
    let (fastest, slowest) = (medians.iter().min().expect("medians"), medians.iter().max().expect("medians"));
    assert!(
        *slowest < Duration::from_millis(5) || slowest.as_secs_f64() < 3.0 * fastest.as_secs_f64(),
        "refusals must not tell keys apart by time: medians {medians:?}"
    );
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("(unknown)", "forbidden"), 150, "counted without naming the project");
    assert_eq!(metrics.outcome("shop", "forbidden"), 0);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_and_cached() {
    let server = TestServer::start_default().await;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, content-encoding\r\n\r\n",
            ingest_path(SHOP_KEY)
        )
    };

    let allowed = server.send_raw(preflight(SHOP_ORIGIN).as_bytes()).await;
    let refused = server.send_raw(preflight("https://evil.example.net").as_bytes()).await;

    assert_eq!(allowed.status, 204, "{}", allowed.text());
    assert_eq!(allowed.header("access-control-allow-origin"), Some(SHOP_ORIGIN));
    assert_eq!(allowed.header("access-control-max-age"), Some("86400"));
    assert!(allowed.header("access-control-allow-methods").is_some_and(|m| m.contains("POST")));
    let allowed_headers = allowed.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(allowed_headers.contains("content-type") && allowed_headers.contains("content-encoding"));
    refused.assert_error(403, "forbidden");
    assert_eq!(refused.header("access-control-allow-origin"), None, "no CORS grant for a refused origin");
}

#[tokio::test]
async fn a_page_on_a_foreign_host_is_refused_as_ghost_spam() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let ghost = Beacon::on("https://ghost-spam.example.net/free-traffic").with_event(event::view());

    let with_origin = server.post_beacon(&ghost).await;
    let without_origin = server
        .post(&ingest_path(SHOP_KEY), &[("Content-Type", "text/plain"), ("User-Agent", CHROME_UA)], &ghost.to_bytes())
        .await;

    with_origin.assert_error(403, "host_not_allowed");
    without_origin.assert_error(403, "host_not_allowed");
    assert_eq!(server.outcome_count("shop", "host_not_allowed").await, 2);
    assert!(server.records_with_ids(&ghost.event_ids()).is_empty());
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn bots_and_headless_browsers_are_answered_202_and_not_stored() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;

    for user_agent in [GOOGLEBOT_UA, HEADLESS_CHROME_UA, "curl/8.5.0", ""] {
        let beacon = Beacon::realistic();
        let response = server.post_beacon_with(SHOP_KEY, &beacon, &[("User-Agent", user_agent)]).await;
        assert_eq!(response.accepted_dropped(), (0, 10), "{user_agent:?}");
        assert!(server.records_with_ids(&beacon.event_ids()).is_empty(), "{user_agent:?} stored nothing");
    }

    assert_eq!(server.outcome_count("shop", "bot").await, 40);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn a_project_keeping_bots_stores_them_as_device_class_bot() {
    let server = ServerOptions::default().project("shop", |shop| shop.drop_bots = false).start().await;

    for user_agent in [GOOGLEBOT_UA, HEADLESS_CHROME_UA] {
        let beacon = Beacon::realistic();
        let response = server.post_beacon_with(SHOP_KEY, &beacon, &[("User-Agent", user_agent)]).await;
        assert_eq!(response.accepted_dropped(), (10, 0), "{user_agent}");
        let stored = server.records_with_ids(&beacon.event_ids());
        assert_eq!(stored.len(), 10);
        assert!(stored.iter().all(|r| r.context.client.device_class == DeviceClass::Bot), "{user_agent}");
    }
    assert_eq!(server.outcome_count("shop", "bot").await, 0);
}

/// Posts `count` beacons to `key`, each with the `X-Forwarded-For` from `forwarded(i)`;
/// returns the statuses and the `Retry-After` of each 429.
async fn burst(
    server: &TestServer,
    key: &str,
    count: usize,
    forwarded: impl Fn(usize) -> String,
) -> (Vec<u16>, Vec<u64>) {
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for i in 0..count {
        let from = forwarded(i);
        let page = if key == BLOG_KEY { "https://blog.example.org/posts/hello" } else { "https://shop.example.com/" };
        let beacon = Beacon::on(page).with_event(event::custom("burst"));
        let response = server.post_beacon_with(key, &beacon, &[("X-Forwarded-For", &from)]).await;
        if response.status == 429 {
            response.assert_error(429, "rate_limited");
            assert!(response.header("access-control-expose-headers").is_some_and(|h| h.contains("Retry-After")));
            let seconds = response.header("retry-after").expect("429 carries Retry-After");
            retry_after.push(seconds.parse().expect("Retry-After in whole seconds"));
        }
        statuses.push(response.status);
    }
    (statuses, retry_after)
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    let server = ServerOptions::default()
        .intake(|intake| {
            intake.per_ip_rate_limit_per_second = SLOW_REFILL;
            intake.per_ip_burst = 5.0;
        })
        .start()
        .await;
    let seed = server.seed().await; // takes one of the five tokens

    // A new forged address on every request: believed, each would get a fresh bucket.
    let (statuses, retry_after) = burst(&server, SHOP_KEY, 20, |i| format!("203.0.113.{}", i + 1)).await;

    assert_eq!(count(&statuses, 202), 4, "the rest of the burst passes: {statuses:?}");
    assert_eq!(count(&statuses, 429), 16, "{statuses:?}");
    assert!(retry_after.iter().all(|s| *s >= 1), "Retry-After {retry_after:?}");
    assert_eq!(server.outcome_count("shop", "rate_limited").await, count(&statuses, 429) as u64);
    server.assert_healthy().await;
    server.assert_still_stored(&seed);
}

#[tokio::test]
async fn a_forwarded_for_header_from_a_trusted_proxy_gives_each_client_its_own_bucket() {
    let server = behind_a_trusted_proxy_with_a_burst_of_five().await;

    let (many_clients, _) = burst(&server, SHOP_KEY, 20, |i| format!("203.0.113.{}", i + 1)).await;
    let (one_client, retry_after) = burst(&server, SHOP_KEY, 10, |_| "198.51.100.7".into()).await;
    // The client is the rightmost address not of a trusted proxy.
    let (spoofed_left, _) = burst(&server, SHOP_KEY, 10, |i| format!("192.0.2.{i}, 198.51.100.8, 127.0.0.9")).await;

    assert_eq!(count(&many_clients, 202), 20, "each forwarded client has its own bucket: {many_clients:?}");
    assert_eq!(one_client, [vec![202; 5], vec![429; 5]].concat(), "one forwarded client gets the burst");
    assert!(retry_after.iter().all(|s| *s >= 1));
    assert_eq!(
        spoofed_left,
        [vec![202; 5], vec![429; 5]].concat(),
        "addresses left of the real client are the client's own choice, not new clients"
    );
}

#[tokio::test]
async fn a_forwarded_for_line_added_by_the_proxy_wins_over_the_clients_own_line() {
    let server = behind_a_trusted_proxy_with_a_burst_of_five().await;
    let mut statuses = Vec::new();

    for i in 0..10 {
        // The client's forged line first, then the line its proxy added (not appended to).
        let forged = format!("192.0.2.{}", i + 1);
        let beacon = Beacon::new().with_event(event::custom("two_lines"));
        let headers = [("X-Forwarded-For", forged.as_str()), ("X-Forwarded-For", "198.51.100.30")];
        statuses.push(server.post_beacon_with(SHOP_KEY, &beacon, &headers).await.status);
    }

    assert_eq!(statuses, [vec![202; 5], vec![429; 5]].concat(), "keyed on the proxy's line, not the forged one");
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64_prefix() {
    let server = behind_a_trusted_proxy_with_a_burst_of_five().await;

    // One host picking a new address of its /64 for every beacon.
    let (one_network, retry_after) = burst(&server, SHOP_KEY, 10, |i| format!("2001:db8:7:9::{:x}", i + 1)).await;
    let (next_network, _) = burst(&server, SHOP_KEY, 3, |_| "2001:db8:7:a::1".into()).await;

    assert_eq!(one_network, [vec![202; 5], vec![429; 5]].concat(), "the /64 is one client");
    assert!(retry_after.iter().all(|s| *s >= 1));
    assert_eq!(next_network, vec![202; 3], "another /64 is another client");
}

#[tokio::test]
async fn a_flood_from_one_address_leaves_other_clients_and_projects_unaffected() {
    let server = behind_a_trusted_proxy_with_a_burst_of_five().await;

    let (flood, retry_after) = burst(&server, SHOP_KEY, 30, |_| "203.0.113.66".into()).await;
    let (other_project, _) = burst(&server, BLOG_KEY, 3, |_| "198.51.100.20".into()).await;
    let (other_client, _) = burst(&server, SHOP_KEY, 3, |_| "198.51.100.21".into()).await;

    assert_eq!(flood, [vec![202; 5], vec![429; 25]].concat());
    assert!(retry_after.iter().all(|s| *s >= 1), "Retry-After {retry_after:?}");
    assert_eq!(other_project, vec![202; 3], "another project from another address");
    assert_eq!(other_client, vec![202; 3], "another client of the same project");
    let metrics = server.metrics().await;
    assert_eq!(metrics.outcome("shop", "rate_limited"), count(&flood, 429) as u64);
    assert_eq!(metrics.outcome("blog", "rate_limited"), 0);
}

#[tokio::test]
async fn a_flood_on_one_project_leaves_other_projects_unaffected() {
    let server = ServerOptions::default()
        .intake(|intake| {
            intake.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
            intake.per_ip_rate_limit_per_second = 0.0;
        })
        .project("shop", |shop| {
            shop.rate_limit_per_second = SLOW_REFILL;
            shop.rate_limit_burst = 5.0;
        })
        .start()
        .await;

    // Every request from a new address: only the project's bucket can stop them.
    let (flood, retry_after) = burst(&server, SHOP_KEY, 30, |i| format!("203.0.113.{}", i + 1)).await;
    let (other_project, _) = burst(&server, BLOG_KEY, 5, |i| format!("198.51.100.{}", i + 1)).await;

    assert_eq!(flood, [vec![202; 5], vec![429; 25]].concat(), "the project's burst, then its bucket is empty");
    assert!(retry_after.iter().all(|s| *s >= 1), "Retry-After {retry_after:?}");
    assert_eq!(other_project, vec![202; 5]);
}

#[tokio::test]
async fn random_routes_fold_into_other_past_the_project_cap() {
    let server = ServerOptions::default()
        .intake(|intake| intake.per_ip_rate_limit_per_second = 0.0)
        .project("shop", |shop| shop.max_routes = 50)
        .start()
        .await;
    let seed = server.seed().await; // route /products/:id takes one place
    let pages = random_words(200, 0x5eed);

    for page in &pages {
        let beacon = Beacon::on(&format!("https://shop.example.com/{page}")).with_event(event::custom("visit"));
        assert_eq!(server.post_beacon(&beacon).await.status, 202);
    }

    let records = server.records();
    let routes: HashSet<&str> = records.iter().map(|r| r.page.route.as_str()).collect();
    assert_eq!(routes.len(), 51, "50 routes and (other)");
    assert!(routes.contains("(other)"));
    let folded: Vec<_> = records.iter().filter(|r| r.page.route == "(other)").collect();
    assert_eq!(folded.len(), 151);
    assert!(folded.iter().all(|r| r.quality.has(QualityFlags::CARDINALITY_FOLDED)));
    assert!(folded.iter().all(|r| pages.iter().any(|p| r.page.path == format!("/{p}"))), "the path itself is kept");
    assert_eq!(server.outcome_count("shop", "route_cardinality").await, 151);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn random_custom_event_names_fold_into_other_past_the_project_cap() {
    let server = ServerOptions::default().project("shop", |shop| shop.max_event_names = 50).start().await;
    let seed = server.seed().await; // `add_to_cart` takes one place
    let names = random_words(200, 0xca7);
    let beacon = Beacon::new().with_events(names.iter().map(|name| event::custom(name)));

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (200, 0), "folded, not dropped");
    let stored = server.records_with_ids(&beacon.event_ids());
    let name_of = |body: &EventBody| match body {
        EventBody::Custom(custom) => Some(custom.name.clone()),
        _ => None,
    };
    let folded = stored.iter().filter(|r| name_of(&r.body).as_deref() == Some("(other)")).count();
    assert_eq!(folded, 151);
    assert!(
        stored
            .iter()
            .filter(|r| name_of(&r.body).as_deref() == Some("(other)"))
            .all(|r| r.quality.has(QualityFlags::CARDINALITY_FOLDED))
    );
    let distinct: HashSet<String> =
        server.records().iter().filter_map(|r| name_of(&r.body)).filter(|n| n != "(other)").collect();
    assert!(distinct.len() <= 50, "{} distinct names stored", distinct.len());
    assert_eq!(server.outcome_count("shop", "event_name_cardinality").await, 151);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn random_attribute_keys_are_dropped_past_the_project_cap() {
    let server = ServerOptions::default().project("shop", |shop| shop.max_attribute_keys = 50).start().await;
    let seed = server.seed().await; // `sku` and `currency` take two places
    let keys = random_words(200, 0xbeef);
    let events: Vec<Value> = keys
        .chunks(50)
        .map(|chunk| {
            let mut custom = event::custom("tagged");
            custom["attributes"] = Value::Object(chunk.iter().map(|k| (k.clone(), json!("v"))).collect());
            custom
        })
        .collect();
    let beacon = Beacon::new().with_events(events);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (4, 0));
    let all_keys: HashSet<String> = server
        .records()
        .iter()
        .filter_map(|r| match &r.body {
            EventBody::Custom(custom) => {
                Some(custom.attributes.entries.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(all_keys.len(), 50, "the project's cap of distinct keys");
    assert_eq!(server.outcome_count("shop", "attribute_key_cardinality").await, 152);
    assert!(
        server.records_with_ids(&beacon.event_ids()).iter().any(|r| r.quality.has(QualityFlags::CARDINALITY_FOLDED))
    );
    server.assert_survived(&seed).await;
}

/// A server behind a proxy on 127.0.0.0/8, each client allowed a burst of 5 that barely refills.
async fn behind_a_trusted_proxy_with_a_burst_of_five() -> TestServer {
    ServerOptions::default()
        .intake(|intake| {
            intake.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
            intake.per_ip_rate_limit_per_second = SLOW_REFILL;
            intake.per_ip_burst = 5.0;
        })
        .start()
        .await
}
