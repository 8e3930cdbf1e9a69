//! Client hints, from the agent and from the request headers, over reduced and frozen user agents.

use sightline_protocol::{ClientHintBrand, ClientHints, DeviceClass};

use super::{CHROME_ANDROID_REDUCED, CHROME_ANDROID_TABLET_REDUCED, CHROME_WINDOWS, parse, summary};
use crate::enrich::user_agent::{HintHeaders, ParsedClient, UserAgentParser};

use DeviceClass::{Bot, Desktop, Mobile, Tablet};

const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

fn with_headers(user_agent: &str, headers: HintHeaders<'_>) -> ParsedClient {
    UserAgentParser::new().parse(user_agent, None, headers)
}

fn with_agent_hints(user_agent: &str, hints: &ClientHints) -> ParsedClient {
    UserAgentParser::new().parse(user_agent, Some(hints), HintHeaders::default())
}

fn brands(list: &[(&str, &str)]) -> Vec<ClientHintBrand> {
    list.iter().map(|&(brand, version)| ClientHintBrand { brand: brand.into(), version: version.into() }).collect()
}

#[test]
fn headers_reveal_windows_11() {
    let parsed = with_headers(
        CHROME_WINDOWS,
        HintHeaders {
            sec_ch_ua: Some(r#""Not/A)Brand";v="8", "Chromium";v="126", "Google Chrome";v="126""#),
            sec_ch_ua_mobile: Some("?0"),
            sec_ch_ua_platform: Some(r#""Windows""#),
            sec_ch_ua_platform_version: Some(r#""15.0.0""#),
            sec_ch_ua_model: Some(r#""""#),
        },
    );
    assert_eq!(summary(&parsed), (["Chrome", "126", "Windows", "11"], Desktop, None));
}

#[test]
fn windows_platform_versions_map_to_releases() {
    let headers = |version| HintHeaders {
        sec_ch_ua_platform: Some(r#""Windows""#),
        sec_ch_ua_platform_version: Some(version),
        ..HintHeaders::default()
    };
    assert_eq!(with_headers(CHROME_WINDOWS, headers(r#""10.0.0""#)).client.os_version, "10");
    assert_eq!(with_headers(CHROME_WINDOWS, headers(r#""0.1.0""#)).client.os_version, "7");
    assert_eq!(with_headers(CHROME_WINDOWS, headers(r#""13.0.0""#)).client.os_version, "11");
}

#[test]
fn agent_hints_reveal_the_real_android_version_and_model() {
    let hints = ClientHints {
        brands: brands(&[("Not_A Brand", "8"), ("Chromium", "126"), ("Google Chrome", "126")]),
        mobile: Some(true),
        platform: Some("Android".into()),
        platform_version: Some("14.0.0".into()),
        model: Some("Pixel 8".into()),
    };
    let parsed = with_agent_hints(CHROME_ANDROID_REDUCED, &hints);
    assert_eq!(summary(&parsed), (["Chrome Mobile", "126", "Android", "14"], Mobile, Some("Pixel 8")));
}

#[test]
fn reduced_android_without_hints_has_no_version() {
    assert_eq!(parse(CHROME_ANDROID_REDUCED).client.os_version, "");
}

#[test]
fn hints_tell_an_android_tablet_from_a_phone() {
    let headers = |mobile| HintHeaders {
        sec_ch_ua_mobile: Some(mobile),
        sec_ch_ua_platform: Some(r#""Android""#),
        ..HintHeaders::default()
    };
    assert_eq!(with_headers(CHROME_ANDROID_TABLET_REDUCED, headers("?0")).client.device_class, Tablet);
    assert_eq!(with_headers(CHROME_ANDROID_TABLET_REDUCED, headers("?1")).client.device_class, Mobile);
}

#[test]
fn hints_name_browsers_that_hide_in_chrome_user_agents() {
    let brave = HintHeaders {
        sec_ch_ua: Some(r#""Brave";v="126", "Chromium";v="126", "Not/A)Brand";v="8""#),
        ..HintHeaders::default()
    };
    assert_eq!(summary(&with_headers(CHROME_WINDOWS, brave)).0, ["Brave", "126", "Windows", "10"]);
    let edge = HintHeaders {
        sec_ch_ua: Some(r#""Not/A)Brand";v="8", "Chromium";v="126", "Microsoft Edge";v="126""#),
        ..HintHeaders::default()
    };
    assert_eq!(with_headers(CHROME_WINDOWS, edge).client.browser, "Edge");
}

#[test]
fn grease_and_chromium_alone_keep_the_user_agents_answer() {
    let headers =
        HintHeaders { sec_ch_ua: Some(r#""Chromium";v="125", " Not;A Brand";v="99""#), ..HintHeaders::default() };
    assert_eq!(summary(&with_headers(CHROME_WINDOWS, headers)).0, ["Chrome", "126", "Windows", "10"]);
    assert_eq!(summary(&with_headers("", headers)).0, ["Chromium", "125", "", ""]);
}

#[test]
fn hints_keep_the_user_agents_finer_names() {
    let android_chrome = ClientHints {
        brands: brands(&[("Google Chrome", "127")]),
        mobile: Some(true),
        platform: Some("Android".into()),
        ..ClientHints::default()
    };
    assert_eq!(with_agent_hints(CHROME_ANDROID_REDUCED, &android_chrome).client.browser, "Chrome Mobile");
    let instagram = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240705.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 Instagram 337.0.0.35.102 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 615392416)";
    let webview = ClientHints { brands: brands(&[("Android WebView", "126"), ("Chromium", "126")]), ..android_chrome };
    assert_eq!(with_agent_hints(instagram, &webview).client.browser, "Instagram");
    let ubuntu =
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    let linux = HintHeaders { sec_ch_ua_platform: Some(r#""Linux""#), ..HintHeaders::default() };
    assert_eq!(with_headers(ubuntu, linux).client.os, "Ubuntu");
}

#[test]
fn mac_hints_give_the_real_macos_version() {
    let headers = HintHeaders {
        sec_ch_ua_platform: Some(r#""macOS""#),
        sec_ch_ua_platform_version: Some(r#""14.5.0""#),
        ..HintHeaders::default()
    };
    assert_eq!(summary(&with_headers(CHROME_MAC, headers)).0, ["Chrome", "126", "Mac OS X", "14.5"]);
}

#[test]
fn agent_hints_win_over_headers() {
    let agent = ClientHints { platform_version: Some("15.0.0".into()), ..ClientHints::default() };
    let headers = HintHeaders {
        sec_ch_ua_platform: Some(r#""Windows""#),
        sec_ch_ua_platform_version: Some(r#""10.0.0""#),
        ..HintHeaders::default()
    };
    let parsed = UserAgentParser::new().parse(CHROME_WINDOWS, Some(&agent), headers);
    assert_eq!(parsed.client.os_version, "11");
}

#[test]
fn headless_brand_is_a_bot() {
    let headers =
        HintHeaders { sec_ch_ua: Some(r#""HeadlessChrome";v="126", "Chromium";v="126""#), ..HintHeaders::default() };
    let parsed = with_headers(CHROME_WINDOWS, headers);
    assert!(parsed.is_bot);
    assert_eq!(parsed.client.device_class, Bot);
}

#[test]
fn malformed_hint_headers_are_ignored() {
    let huge = format!(r#""Google Chrome";v="126", "{}";v="1""#, "x".repeat(2_000));
    let many = vec![r#""Brand";v="1""#; 100].join(", ");
    for sec_ch_ua in [
        r#""Brave";v="126", Chromium"#,
        r#""Brave";v="126","#,
        r#""Brave;v="126""#,
        "\"Br\u{e9}ve\";v=\"126\"",
        r#""Brave";V="126""#,
        huge.as_str(),
        many.as_str(),
    ] {
        let headers = HintHeaders {
            sec_ch_ua: Some(sec_ch_ua),
            sec_ch_ua_mobile: Some("?2"),
            sec_ch_ua_platform: Some("Android"),
            sec_ch_ua_platform_version: Some(r#""14; DROP TABLE""#),
            sec_ch_ua_model: Some("\"\u{7}\""),
        };
        assert_eq!(summary(&with_headers(CHROME_WINDOWS, headers)), summary(&parse(CHROME_WINDOWS)), "{sec_ch_ua:?}");
    }
}
