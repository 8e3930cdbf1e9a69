//! Parser tests: the real-world table and client hints in submodules; hostile input and the
//! cache here.

mod hints;
mod real_world;

use std::hash::BuildHasher;

use proptest::prelude::*;
use sightline_protocol::DeviceClass;

use super::*;

use DeviceClass::{Mobile, Other, Tablet};

const CHROME_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const CHROME_ANDROID_REDUCED: &str =
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const CHROME_ANDROID_TABLET_REDUCED: &str =
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

fn parse(user_agent: &str) -> ParsedClient {
    UserAgentParser::new().parse(user_agent, None, HintHeaders::default())
}

fn summary(parsed: &ParsedClient) -> ([&str; 4], DeviceClass, Option<&str>) {
    let client = &parsed.client;
    (
        [&client.browser, &client.browser_version, &client.os, &client.os_version].map(String::as_str),
        client.device_class,
        client.device_model.as_deref(),
    )
}

#[test]
fn a_huge_user_agent_is_cut_before_parsing_and_caching() {
    let parser = UserAgentParser::new();
    // ASCII up to byte 511, then two-byte characters: the cut must step back to 511.
    let padding = "x".repeat(MAX_USER_AGENT_BYTES - 1 - CHROME_WINDOWS.len() - 1);
    let huge = format!("{CHROME_WINDOWS} {padding}{}", "é".repeat(500_000));
    let parsed = parser.parse(&huge, None, HintHeaders::default());
    assert_eq!(summary(&parsed).0, ["Chrome", "126", "Windows", "10"]);
    let cut = bounded(&huge, MAX_USER_AGENT_BYTES);
    assert!(cut.len() == MAX_USER_AGENT_BYTES - 1, "cut on a char boundary: {}", cut.len());
    assert_eq!(parser.cache.len(), 1);
    assert_eq!(parser.parse(cut, None, HintHeaders::default()), parsed);
    assert_eq!(parser.cache.len(), 1, "the cut user agent is the cache key");
}

#[test]
fn garbage_is_not_a_browser() {
    let bytes: Vec<u8> = (0..=255).cycle().take(4_096).collect();
    let garbage = String::from_utf8_lossy(&bytes);
    let parsed = parse(&garbage);
    assert_eq!(parsed.client.device_class, Other);
    assert_eq!(parse("\0\0\0").client.device_class, Other);
    assert!(parse("   ").is_bot, "blank is empty");
}

#[test]
fn the_cache_keys_on_user_agent_and_hints() {
    let parser = UserAgentParser::new();
    let mobile = HintHeaders { sec_ch_ua_mobile: Some("?1"), ..HintHeaders::default() };
    let first = parser.parse(CHROME_ANDROID_TABLET_REDUCED, None, HintHeaders::default());
    assert_eq!(parser.parse(CHROME_ANDROID_TABLET_REDUCED, None, HintHeaders::default()), first);
    assert_eq!(parser.cache.len(), 1);
    let hinted = parser.parse(CHROME_ANDROID_TABLET_REDUCED, None, mobile);
    assert_eq!((first.client.device_class, hinted.client.device_class), (Tablet, Mobile));
    assert_eq!(parser.cache.len(), 2);
    let clone = parser.clone();
    clone.parse(CHROME_WINDOWS, None, HintHeaders::default());
    assert_eq!(parser.cache.len(), 3, "clones share the cache");
}

#[test]
fn borrowed_and_owned_cache_keys_hash_alike() {
    let hints =
        Hints::collect(None, HintHeaders { sec_ch_ua: Some(r#""Google Chrome";v="126""#), ..HintHeaders::default() });
    let borrowed = CacheKeyRef { user_agent: CHROME_WINDOWS, hints: &hints };
    let owned = CacheKey { user_agent: CHROME_WINDOWS.into(), hints: hints.clone().into_owned() };
    let state = std::hash::RandomState::new();
    assert_eq!(state.hash_one(&borrowed), state.hash_one(&owned));
    assert!(borrowed.equivalent(&owned));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_input_parses_to_bounded_names(
        user_agent in ".{0,700}",
        sec_ch_ua in ".{0,200}",
        platform in ".{0,80}",
        model in ".{0,80}",
    ) {
        let headers = HintHeaders {
            sec_ch_ua: Some(&sec_ch_ua),
            sec_ch_ua_mobile: Some("?1"),
            sec_ch_ua_platform: Some(&platform),
            sec_ch_ua_platform_version: Some(&platform),
            sec_ch_ua_model: Some(&model),
        };
        let client = UserAgentParser::new().parse(&user_agent, None, headers).client;
        for name in [&client.browser, &client.browser_version, &client.os, &client.os_version] {
            prop_assert!(name.len() <= MAX_NAME_BYTES, "{name:?}");
        }
        prop_assert!(client.device_model.is_none_or(|model| model.len() <= MAX_NAME_BYTES));
    }

    #[test]
    fn brand_lists_round_trip(names in proptest::collection::vec("[ -!#-\\[\\]-~]{1,20}", 1..8)) {
        let header = names.iter().map(|name| format!("\"{name}\";v=\"1\"")).collect::<Vec<_>>().join(", ");
        let parsed = structured_field::parse_brand_list(&header).expect("a valid list parses");
        let parsed_names: Vec<&str> = parsed.iter().map(|(name, _)| name.as_ref()).collect();
        prop_assert_eq!(parsed_names, names.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
