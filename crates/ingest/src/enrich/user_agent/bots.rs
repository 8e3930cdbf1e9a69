//! Bots that uap-core does not flag as spiders: headless and automated browsers, synthetic
//! monitors, HTTP libraries, and anything calling itself a bot, crawler or spider.
//!
//! All markers are found in one case-insensitive Aho-Corasick pass over the user agent.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// The word `bot` needs a check around it (see [`is_bot_word`]); every other marker is enough alone.
const BOT_WORD: &str = "bot";

/// Lower-case markers; a user agent containing one of them (any case) is a bot.
const MARKERS: &[&str] = &[
    BOT_WORD,
    "crawler",
    "spider",
    "scraper",
    // Headless and automated browsers.
    "headless", // HeadlessChrome, HeadlessShell
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "webdriver",
    "lighthouse", // Lighthouse, Chrome-Lighthouse, PageSpeed Insights
    // Crawlers whose names do not end in `bot`.
    "facebookexternalhit",
    "baiduspider",
    "adsbot",
    // Synthetic monitoring.
    "datadog",
    "pingdom",
    "uptimerobot",
    "gtmetrix",
    "statuscake",
    "site24x7",
    "catchpoint",
    // HTTP libraries and command-line clients.
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "node-fetch",
    "axios/",
    "undici",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "guzzlehttp",
    "postmanruntime",
];

/// Phone brands whose names end in `bot`.
const NOT_BOTS: &[&str] = &["cubot"];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder().ascii_case_insensitive(true).build(MARKERS).expect("the bot markers are plain literals")
});

/// True when `user_agent` names a bot, a headless browser, a monitor or an HTTP library.
pub(super) fn is_bot(user_agent: &str) -> bool {
    MATCHER.find_overlapping_iter(user_agent).any(|found| {
        let marker = MARKERS[found.pattern().as_usize()];
        marker != BOT_WORD || is_bot_word(user_agent, found.start(), found.end())
    })
}

/// `bot` ending a word (`Googlebot/2.1`, `AdsBot-Google`, `UptimeRobot`), but not inside one
/// (`Bottle`) nor a phone brand (`CUBOT P30`).
fn is_bot_word(user_agent: &str, start: usize, end: usize) -> bool {
    let bytes = user_agent.as_bytes();
    if bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    !NOT_BOTS.iter().any(|brand| {
        let prefix_len = brand.len() - BOT_WORD.len();
        start
            .checked_sub(prefix_len)
            .and_then(|brand_start| bytes.get(brand_start..end))
            .is_some_and(|word| word.eq_ignore_ascii_case(brand.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_in_any_case() {
        for user_agent in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; YandexBot/3.0)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Mozilla/5.0 (Windows NT 10.0) HeadlessChrome/126.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "Mozilla/5.0 DatadogSynthetics",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "CURL/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.32.3",
            "Python-urllib/3.12",
            "Go-http-client/2.0",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
            "axios/1.7.2",
            "undici",
            "okhttp/4.12.0",
            "Java/17.0.2",
            "libwww-perl/6.72",
            "Some Crawler 1.0",
            "my-spider",
            "ExampleBot",
        ] {
            assert!(is_bot(user_agent), "{user_agent}");
        }
    }

    #[test]
    fn leaves_browsers_and_bot_lookalikes_alone() {
        for user_agent in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 Chrome/110.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (X11; Linux x86_64) Bottled/1.0",
        ] {
            assert!(!is_bot(user_agent), "{user_agent}");
        }
    }

    #[test]
    fn bot_at_either_end_of_the_string_counts() {
        assert!(is_bot("bot"));
        assert!(is_bot("Mozilla/5.0 examplebot"));
        assert!(!is_bot("cubot"));
    }
}
