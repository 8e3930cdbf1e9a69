//! A table of real-world user agents: what each must parse to, and a snapshot of every field.

use serde::Serialize;
use sightline_protocol::{ClientInfo, DeviceClass};

use super::{ParsedClient, summary};
use crate::enrich::user_agent::{HintHeaders, UserAgentParser};

use DeviceClass::{Bot, Desktop, Mobile, Other, Tablet};

/// Real-world user agents and what they must parse to:
/// `[browser, major version, OS, OS version]`, device class, model.
const REAL_WORLD: &[(&str, [&str; 4], DeviceClass, Option<&str>)] = &[
    // Chrome.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ["Chrome", "126", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ["Chrome", "126", "Mac OS X", "10.15"],
        Desktop,
        Some("Mac"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ["Chrome", "126", "Linux", ""],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ["Chrome", "126", "Chrome OS", "14541"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        ["Chrome Mobile", "126", "Android", ""],
        Mobile,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ["Chrome", "126", "Android", ""],
        Tablet,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
        ["Chrome Mobile", "120", "Android", "14"],
        Mobile,
        Some("Pixel 8"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        ["Chrome Mobile", "126", "Android", "13"],
        Mobile,
        Some("SM-A536B"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        ["Chrome", "119", "Android", "13"],
        Tablet,
        Some("SM-X200"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
        ["Chrome Mobile", "110", "Android", "9"],
        Mobile,
        Some("P30"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
        ["Chrome Mobile iOS", "126", "iOS", "17.5"],
        Mobile,
        Some("iPhone"),
    ),
    // Safari.
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        ["Safari", "17", "Mac OS X", "10.15"],
        Desktop,
        Some("Mac"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        ["Mobile Safari", "17", "iOS", "17.5"],
        Mobile,
        Some("iPhone"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        ["Mobile Safari", "17", "iOS", "17.5"],
        Tablet,
        Some("iPad"),
    ),
    // Firefox.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
        ["Firefox", "127", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:127.0) Gecko/20100101 Firefox/127.0",
        ["Firefox", "127", "Mac OS X", "10.15"],
        Desktop,
        Some("Mac"),
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        ["Firefox", "126", "Ubuntu", ""],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
        ["Firefox Mobile", "127", "Android", "14"],
        Mobile,
        None,
    ),
    (
        "Mozilla/5.0 (Android 14; Tablet; rv:127.0) Gecko/127.0 Firefox/127.0",
        ["Firefox Mobile", "127", "Android", "14"],
        Tablet,
        None,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
        ["Firefox iOS", "127", "iOS", "17.5"],
        Mobile,
        Some("iPhone"),
    ),
    // Edge, Samsung Internet, Opera, Yandex, Vivaldi, DuckDuckGo, legacy.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        ["Edge", "126", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 EdgA/126.0.0.0",
        ["Edge Mobile", "126", "Android", ""],
        Mobile,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
        ["Samsung Internet", "25", "Android", "14"],
        Mobile,
        Some("SM-S918B"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
        ["Opera", "111", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 OPR/82.0.4227.0",
        ["Opera Mobile", "82", "Android", ""],
        Mobile,
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.6.0.0 Safari/537.36",
        ["Yandex Browser", "24", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Vivaldi/6.7.3329.41",
        ["Vivaldi", "6", "Windows", "10"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 DuckDuckGo/5",
        ["DuckDuckGo Mobile", "5", "Android", ""],
        Mobile,
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
        ["IE", "11", "Windows", "7"],
        Desktop,
        None,
    ),
    (
        "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
        ["Edge Mobile", "15", "Windows Phone", "10"],
        Mobile,
        Some("Lumia 950"),
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 4.4.4; KFTHWI Build/KTU84M) AppleWebKit/537.36 (KHTML, like Gecko) Silk/3.68 like Chrome/39.0.2171.93 Safari/537.36",
        ["Amazon Silk", "3", "Android", "4"],
        Tablet,
        Some("Kindle Fire HDX 7\" WiFi"),
    ),
    // In-app browsers.
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.37.103;FBBV/612048765;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]",
        ["Facebook", "470", "iOS", "17.5"],
        Mobile,
        Some("iPhone15,2"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.4.32.98 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 608573126)",
        ["Instagram", "334", "iOS", "17.5"],
        Mobile,
        Some("iPhone15,2"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240705.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 Instagram 337.0.0.35.102 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 615392416)",
        ["Instagram", "337", "Android", "14"],
        Mobile,
        Some("Pixel 8"),
    ),
    // TVs and consoles.
    (
        "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15",
        ["Safari", "13", "", ""],
        Other,
        Some("PlayStation 5"),
    ),
    (
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36",
        ["Safari", "", "Tizen", "6"],
        Other,
        Some("SMART-TV"),
    ),
    // Crawlers, headless browsers, monitors, HTTP clients.
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ["Googlebot", "2", "", ""], Bot, None),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ["Googlebot", "2", "Android", "6"],
        Bot,
        None,
    ),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", ["bingbot", "2", "", ""], Bot, None),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", ["YandexBot", "3", "", ""], Bot, None),
    (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        ["FacebookBot", "1", "", ""],
        Bot,
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.6478.55 Safari/537.36",
        ["HeadlessChrome", "126", "Windows", "10"],
        Bot,
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        ["Chrome Mobile", "119", "Android", "11"],
        Bot,
        Some("g power (2022)"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 DatadogSynthetics",
        ["Chrome", "126", "Linux", ""],
        Bot,
        None,
    ),
    ("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", ["UptimeRobot", "2", "", ""], Bot, None),
    ("curl/8.5.0", ["curl", "8", "", ""], Bot, None),
    ("Wget/1.21.4", ["Wget", "1", "", ""], Bot, None),
    ("python-requests/2.32.3", ["Python Requests", "2", "", ""], Bot, None),
    ("Go-http-client/1.1", ["Go-http-client", "1", "", ""], Bot, None),
    ("okhttp/4.12.0", ["okhttp", "4", "", ""], Bot, None),
    ("", ["", "", "", ""], Bot, None),
];

#[test]
fn parses_real_world_user_agents() {
    assert!(REAL_WORLD.len() >= 25);
    let parser = UserAgentParser::new();
    for &(user_agent, fields, class, model) in REAL_WORLD {
        let parsed = parser.parse(user_agent, None, HintHeaders::default());
        assert_eq!(summary(&parsed), (fields, class, model), "{user_agent}");
        assert_eq!(parsed.is_bot, class == Bot, "{user_agent}");
    }
}

#[test]
fn real_world_snapshot() {
    #[derive(Serialize)]
    struct Row<'a> {
        user_agent: &'a str,
        client: ClientInfo,
        is_bot: bool,
    }
    let parser = UserAgentParser::new();
    let rows: Vec<Row<'_>> = REAL_WORLD
        .iter()
        .map(|&(user_agent, ..)| {
            let ParsedClient { client, is_bot } = parser.parse(user_agent, None, HintHeaders::default());
            Row { user_agent, client, is_bot }
        })
        .collect();
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_yaml_snapshot!("user_agent_real_world", rows);
    });
}
