use proptest::prelude::*;
use serde::Serialize;

use super::*;
use crate::test_util::bench_ns;

fn route(path: &str) -> String {
    RouteNormalizer::default().route(path)
}

fn with_patterns(patterns: &[&str]) -> RouteNormalizer {
    let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    RouteNormalizer::new(&patterns).expect("valid patterns")
}

#[test]
fn collapses_identifiers_segment_by_segment() {
    assert_eq!(route("/orders/8812/items"), "/orders/:id/items");
    assert_eq!(route("/u/550e8400-e29b-41d4-a716-446655440000/settings"), "/u/:uuid/settings");
    assert_eq!(route("/blob/d41d8cd98f00b204e9800998ecf8427e"), "/blob/:hash");
    assert_eq!(route("/reports/2024-01-15/daily"), "/reports/:date/daily");
    assert_eq!(route("/users/jane%40example.com"), "/users/:email");
    assert_eq!(route("/invite/aZ3kQ9xP2mW7vB4nR8tY1c"), "/invite/:token");
}

#[test]
fn keeps_words_and_short_codes() {
    assert_eq!(route("/api/v2/2fa/es-419"), "/api/v2/2fa/es-419");
    assert_eq!(route("/p/red-running-shoe-12345"), "/p/red-running-shoe-12345");
}

#[test]
fn normalizes_shape() {
    assert_eq!(route(""), "/");
    assert_eq!(route("/"), "/");
    assert_eq!(route("///"), "/");
    assert_eq!(route("//a//b///"), "/a/b");
    assert_eq!(route("a/b"), "/a/b");
    assert_eq!(route("/a/b?x=1#y"), "/a/b");
    assert_eq!(route("/a#/b/c"), "/a");
    assert_eq!(route("/shop;jsessionid=0AAB6C8DE415/cart"), "/shop/cart");
    assert_eq!(route("/;x=1/a"), "/a");
}

#[test]
fn caps_segment_count() {
    let deep: String = (0..40).map(|i| format!("/s{i}")).collect();
    let expected: String = (0..MAX_ROUTE_SEGMENTS).map(|i| format!("/s{i}")).collect::<String>() + "/…";
    assert_eq!(route(&deep), expected);
    let exactly: String = (0..MAX_ROUTE_SEGMENTS).map(|i| format!("/s{i}")).collect();
    assert_eq!(route(&exactly), exactly);
}

#[test]
fn caps_segment_length_on_a_character_boundary() {
    let long = "z".repeat(200);
    let capped = route(&format!("/x/{long}"));
    assert_eq!(capped, format!("/x/{}…", "z".repeat(MAX_SEGMENT_BYTES - 3)));
    let wide = "é".repeat(100);
    let capped = route(&format!("/{wide}"));
    assert!(capped.len() <= MAX_SEGMENT_BYTES + 1);
    assert!(capped.ends_with("é…"));
}

#[test]
fn never_cuts_inside_an_escape() {
    let segment = format!("{}%C3%A9{}", "z".repeat(59), "y".repeat(20));
    assert_eq!(route(&format!("/{segment}")), format!("/{}…", "z".repeat(59)));
}

#[test]
fn first_matching_pattern_wins() {
    let routes = with_patterns(&["/blog/feed", "/blog/:slug", "/docs/*", "/:lang/about"]);
    assert_eq!(routes.route("/blog/feed"), "/blog/feed");
    assert_eq!(routes.route("/blog/hello-world/"), "/blog/:slug");
    assert_eq!(routes.route("/blog/2024/hello"), "/blog/:id/hello");
    assert_eq!(routes.route("/docs"), "/docs/*");
    assert_eq!(routes.route("/docs/guide/install/linux"), "/docs/*");
    assert_eq!(routes.route("/fr/about"), "/:lang/about");
    assert_eq!(routes.route("/about"), "/about");
}

#[test]
fn patterns_compare_literals_decoded() {
    let routes = with_patterns(&["/café/:id"]);
    assert_eq!(routes.route("/caf%C3%A9/x"), "/café/:id");
    assert_eq!(routes.route("/cafe/x"), "/cafe/x");
}

#[test]
fn patterns_see_deep_paths_only_through_a_rest() {
    let routes = with_patterns(&["/a/:b", "/x/*"]);
    let deep: String = "/x".to_owned() + &"/y".repeat(40);
    assert_eq!(routes.route(&deep), "/x/*");
    assert_eq!(routes.route(&("/a/b".to_owned() + &"/c".repeat(40))), route(&("/a/b".to_owned() + &"/c".repeat(40))));
}

#[test]
fn a_param_does_not_swallow_a_rest() {
    let routes = with_patterns(&["/docs/:page", "/docs/*"]);
    let once = routes.route("/docs/a/b");
    assert_eq!(once, "/docs/*");
    assert_eq!(routes.route(&once), once);
}

#[test]
fn invalid_patterns_are_config_errors() {
    let error = RouteNormalizer::new(&["/ok".to_owned(), "/blog/:".to_owned()]).expect_err("invalid");
    let message = error.to_string();
    assert!(message.starts_with("route pattern \"/blog/:\" is invalid: "), "{message}");
    let too_many = vec!["/a".to_owned(); MAX_ROUTE_PATTERNS + 1];
    assert!(RouteNormalizer::new(&too_many).is_err());
    assert!(RouteNormalizer::new(&vec!["/a".to_owned(); MAX_ROUTE_PATTERNS]).is_ok());
}

#[test]
fn survives_hostile_input() {
    let megabyte = 1 << 20;
    for path in [
        "/".repeat(megabyte),
        "a".repeat(megabyte),
        "%".repeat(megabyte),
        "%zz".repeat(megabyte / 3),
        "9".repeat(megabyte),
        format!("/{}", "a@b.co".repeat(megabyte / 6)),
        "/😀\u{202e}\0".repeat(megabyte / 9),
        "/;".repeat(megabyte / 2),
    ] {
        let out = route(&path);
        assert!(out.len() <= (MAX_SEGMENT_BYTES + 1) * (MAX_ROUTE_SEGMENTS + 1));
        assert_eq!(route(&out), out);
    }
    assert_eq!(route("/%/%2/%zz/%E0%A4%A"), "/%/%2/%zz/%E0%A4%A");
    assert_eq!(route("/שלום/עולם"), "/שלום/עולם");
}

#[derive(Serialize)]
struct Row {
    path: &'static str,
    route: String,
}

#[test]
fn snapshot_of_realistic_paths() {
    let routes = with_patterns(&["/blog/:slug", "/docs/*", "/p/:product"]);
    let rows: Vec<Row> = [
        "/",
        "/index.html",
        "/products/12345",
        "/products/12345/reviews/",
        "/p/red-running-shoe-12345",
        "/blog/how-we-cut-p99-latency",
        "/docs/getting-started/install",
        "/api/v2/users/550e8400-e29b-41d4-a716-446655440000/avatar.png",
        "/api/v1/orders/ORD-2024-000123",
        "/static/js/main.3f2a9c1b8e7d6f5a.js",
        "/assets/index-BkF3x9Qa.js",
        "/assets/app.a1b2c3d4e5f6g7h8.chunk.js",
        "/reset-password/9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "/calendar/2024-03-01",
        "/users/jane.doe@example.com/settings",
        "/u/jane.doe%40example.com",
        "/en-US/account/2fa",
        "/es-419/ayuda",
        "/s/AKIAIOSFODNN7EXAMPLE",
        "/invite/Zx8Kq2LmP4nR7sT1vW3yB6cD",
        "/gh/rust-lang/rust/pull/12345/files",
        "/search;jsessionid=0AAB6C8DE415E9A1?q=x",
        "/a//b///c/",
        "/caf%C3%A9/men%C3%BC",
        "/track/4111-1111-1111-1111",
    ]
    .into_iter()
    .map(|path| Row { path, route: routes.route(path) })
    .collect();
    insta::assert_yaml_snapshot!(rows);
}

/// A path segment of a kind the normalizer must recognize or keep.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,25}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[a-z]{0,6}-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\\.pdf",
        "[0-9a-f]{16,64}",
        "[a-zA-Z0-9_-]{1,90}",
        "[a-z]{1,10}(-[a-z0-9]{1,8}){0,6}",
        "%[0-9A-Fa-f]{2}[a-z%]{0,5}",
        "[;:*…@.]{1,3}[a-z]{0,3}",
        ".{0,20}",
        // Long segments whose digit run, email or escape straddles the length cap.
        "[a-z]{40,60}[0-9]{5,30}[a-z0-9]{0,10}",
        "[a-z]{40,60}@[a-z]{1,3}\\.[a-z]{1,8}[a-z0-9]{0,10}",
        "[a-z]{55,62}(%[0-9A-F]{2}){1,8}[a-z]{0,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    (proptest::collection::vec(segment(), 0..24), "/{1,3}").prop_map(|(segments, slash)| {
        let mut path = segments.join(&slash);
        path.insert(0, '/');
        path
    })
}

/// Paths of the few words the test patterns use, so that they match often and overlap.
fn pattern_shaped_path() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("x"),
        Just("b"),
        Just("docs"),
        Just("v2"),
        Just("items"),
        Just("7"),
        Just("*"),
        Just("caf%C3%A9")
    ];
    proptest::collection::vec(word, 0..20).prop_map(|words| format!("/{}", words.join("/")))
}

fn uuid_regex() -> regex::Regex {
    regex::Regex::new("(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("regex")
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_strings(path in ".{0,300}") {
        let once = route(&path);
        prop_assert!(once.starts_with('/'));
        prop_assert_eq!(route(&once), once);
    }

    #[test]
    fn output_is_bounded_idempotent_and_free_of_ids(path in path()) {
        let once = route(&path);
        prop_assert_eq!(&route(&once), &once, "from {:?}", path);
        let segments: Vec<&str> = once.split('/').skip(1).collect();
        prop_assert!(segments.len() <= MAX_ROUTE_SEGMENTS + 1);
        for segment in &segments {
            prop_assert!(segment.len() <= MAX_SEGMENT_BYTES, "{:?}", segment);
            prop_assert!(segment.is_empty() && once == "/" || !segment.is_empty());
            prop_assert!(!segment.bytes().all(|b| b.is_ascii_digit()) || segment.is_empty());
        }
        prop_assert!(!uuid_regex().is_match(&once), "uuid in {:?}", once);
    }

    #[test]
    fn patterns_win(slug in "[a-zA-Z0-9._~-]{1,30}", rest in proptest::collection::vec("[a-z0-9]{1,8}", 0..20)) {
        let routes = with_patterns(&["/blog/:slug", "/docs/*"]);
        prop_assert_eq!(routes.route(&format!("/blog/{slug}")), "/blog/:slug");
        prop_assert_eq!(routes.route(&format!("/blog/{slug}/")), "/blog/:slug");
        let docs = format!("/docs/{}", rest.join("/"));
        prop_assert_eq!(routes.route(&docs), "/docs/*");
    }

    #[test]
    fn idempotent_with_patterns(path in prop_oneof![path(), pattern_shaped_path()]) {
        let routes = with_patterns(&["/:p/:q/:r", "/x/:y", "/:a/b/*", "/docs/*", "/v2/:id/items"]);
        let once = routes.route(&path);
        prop_assert_eq!(routes.route(&once), once);
    }
}

/// Rough cost per call, printed; run with
/// `cargo test --release -p sightline-ingest bench_route -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: prints figures, run in release"]
fn bench_route() {
    let paths = [
        "/products/shoes/12345",
        "/api/v2/users/550e8400-e29b-41d4-a716-446655440000/orders",
        "/blog/how-we-cut-p99-latency",
        "/",
    ];
    let plain = RouteNormalizer::default();
    let patterned = with_patterns(&["/blog/:slug", "/docs/*", "/p/:product", "/help/:topic"]);
    let plain_ns = bench_ns(&paths, |p| plain.route(p));
    let patterned_ns = bench_ns(&paths, |p| patterned.route(p));
    let reference = bench_ns(&paths, str::to_owned);
    eprintln!(
        "route: {plain_ns:.0} ns/call without patterns ({:.1}x a String copy), {patterned_ns:.0} ns/call with 4 patterns",
        plain_ns / reference
    );
}
