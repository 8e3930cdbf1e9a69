//! User agent → browser, OS, device class and model, and whether the client is a bot.
//!
//! A parse, step by step:
//! 1. The user agent is trimmed and cut to [`MAX_USER_AGENT_BYTES`]: hostile input is bounded
//!    before any regex sees it.
//! 2. Client hints, from the agent (`navigator.userAgentData`) or the `Sec-CH-UA*` headers, are
//!    reduced to one small value: GREASE dropped, the most specific brand kept
//!    (`client_hints.rs`).
//! 3. The pair is looked up in a [`CACHE_CAPACITY`]-entry cache; on a miss:
//! 4. the uap-core regexes, turned into Rust by `build.rs` and compiled once per process
//!    (`uap.rs`), give browser, OS and device; the hints then win where they know better:
//!    Brave, Windows 11, the real Android version and model;
//! 5. bots are uap-core's spiders plus crawlers, monitors, headless browsers and HTTP
//!    libraries found in one pass (`bots.rs`); other clients get a device class from the
//!    device, the OS and the hints (`device.rs`).

mod bots;
mod client_hints;
mod device;
mod structured_field;
mod uap;

use std::sync::Arc;

use quick_cache::Equivalent;
use quick_cache::sync::Cache;
use sightline_protocol::{ClientHints, ClientInfo, DeviceClass};

use self::client_hints::Hints;

/// Longest user agent parsed; the rest is ignored. Real ones stay under 400 bytes, in-app
/// browsers included.
pub const MAX_USER_AGENT_BYTES: usize = 512;

/// Distinct (user agent, client hints) pairs whose parse is remembered.
pub const CACHE_CAPACITY: usize = 10_000;

/// Longest browser, OS or model name kept: some uap-core rules capture free text.
const MAX_NAME_BYTES: usize = 64;

/// Client-hint request headers (`Sec-CH-UA`, `Sec-CH-UA-Mobile`, `Sec-CH-UA-Platform`, …).
#[derive(Debug, Clone, Copy, Default)]
pub struct HintHeaders<'a> {
    /// `Sec-CH-UA`.
    pub sec_ch_ua: Option<&'a str>,
    /// `Sec-CH-UA-Mobile`.
    pub sec_ch_ua_mobile: Option<&'a str>,
    /// `Sec-CH-UA-Platform`.
    pub sec_ch_ua_platform: Option<&'a str>,
    /// `Sec-CH-UA-Platform-Version`.
    pub sec_ch_ua_platform_version: Option<&'a str>,
    /// `Sec-CH-UA-Model`.
    pub sec_ch_ua_model: Option<&'a str>,
}

/// What the user agent says about the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedClient {
    /// Browser, OS, device class and model.
    pub client: ClientInfo,
    /// True for crawlers, monitors, headless browsers and automation tools.
    pub is_bot: bool,
}

/// Parses user agents; cheap to clone, safe to share between threads. Clones share one cache.
#[derive(Debug, Clone)]
pub struct UserAgentParser {
    cache: Arc<Cache<CacheKey, ParsedClient>>,
}

impl Default for UserAgentParser {
    fn default() -> Self {
        Self::new()
    }
}

impl UserAgentParser {
    /// Builds the parser (compiles the regexes once per process, on the first call).
    pub fn new() -> Self {
        uap::warm_up();
        Self { cache: Arc::new(Cache::new(CACHE_CAPACITY)) }
    }

    /// Parses `user_agent`, refined by client hints from the agent or the request headers.
    pub fn parse(&self, user_agent: &str, hints: Option<&ClientHints>, headers: HintHeaders<'_>) -> ParsedClient {
        let user_agent = bounded(user_agent, MAX_USER_AGENT_BYTES).trim();
        let hints = Hints::collect(hints, headers);
        let key = CacheKeyRef { user_agent, hints: &hints };
        if let Some(parsed) = self.cache.get(&key) {
            return parsed;
        }
        let parsed = analyse(user_agent, &hints);
        self.cache.insert(CacheKey { user_agent: user_agent.into(), hints: hints.into_owned() }, parsed.clone());
        parsed
    }
}

/// The uncached parse of a bounded user agent.
fn analyse(user_agent: &str, hints: &Hints<'_>) -> ParsedClient {
    let (browser, os, device) = uap::extract(user_agent);
    let mut client =
        ClientInfo { device_model: device::model(device.as_ref()).as_deref().map(name), ..ClientInfo::default() };
    if let Some(browser) = browser {
        set_browser(&mut client, &browser);
    }
    if let Some(os) = os {
        set_os(&mut client, &os);
    }
    if is_reduced_android(&client, device.as_ref()) {
        client.os_version.clear();
    }
    client_hints::refine(&mut client, hints);

    let is_spider = device.as_ref().is_some_and(|device| device.device == "Spider");
    let hinted_bot = hints.brand.as_ref().is_some_and(|brand| bots::is_bot(&brand.name));
    let is_bot = user_agent.is_empty() || is_spider || hinted_bot || bots::is_bot(user_agent);
    client.device_class =
        if is_bot { DeviceClass::Bot } else { device::classify(user_agent, &client.os, device.as_ref(), hints) };
    ParsedClient { client, is_bot }
}

/// Browser family and major version.
fn set_browser(client: &mut ClientInfo, browser: &ua_parser::user_agent::ValueRef<'_>) {
    client.browser = name(&browser.family);
    client.browser_version = browser.major.map(name).unwrap_or_default();
}

/// OS family and version: `major.minor` for iOS and macOS, whose minor releases matter, else `major`.
fn set_os(client: &mut ClientInfo, os: &ua_parser::os::ValueRef<'_>) {
    client.os = name(&os.os);
    let major = os.major.as_deref().unwrap_or_default();
    let minor = os.minor.as_deref().unwrap_or_default();
    let with_minor = matches!(os.os.as_ref(), "iOS" | "Mac OS X") && !major.is_empty() && !minor.is_empty();
    client.os_version = if with_minor { name(&format!("{major}.{minor}")) } else { name(major) };
}

/// Chrome's reduced user agent on Android always reads `Android 10; K`: the version is frozen,
/// not real.
fn is_reduced_android(client: &ClientInfo, device: Option<&ua_parser::device::ValueRef<'_>>) -> bool {
    let frozen_model = device.and_then(|device| device.model.as_deref()) == Some("K");
    client.os == "Android" && client.os_version == "10" && frozen_model
}

/// A browser, OS or model name, cut to [`MAX_NAME_BYTES`].
fn name(text: &str) -> String {
    bounded(text, MAX_NAME_BYTES).to_owned()
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn bounded(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let end = (0..=max).rev().find(|&end| text.is_char_boundary(end)).unwrap_or(0);
    &text[..end]
}

/// What a parse depends on: the bounded user agent and the reduced hints.
#[derive(Debug, Hash, PartialEq, Eq)]
struct CacheKey {
    user_agent: Box<str>,
    hints: Hints<'static>,
}

/// A borrowed [`CacheKey`], so that a cache hit allocates nothing. Its fields must hash like
/// [`CacheKey`]'s: same order, same types once dereferenced.
#[derive(Hash)]
struct CacheKeyRef<'k> {
    user_agent: &'k str,
    hints: &'k Hints<'k>,
}

impl Equivalent<CacheKey> for CacheKeyRef<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        self.user_agent == &*key.user_agent && *self.hints == key.hints
    }
}

#[cfg(test)]
mod tests;
