//! User agent → browser, OS, device class, using the uap-core regexes (cached).
//! (Being written: see the module contract in `enrich.rs`.)

use sightline_protocol::{ClientHints, ClientInfo};

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

/// Parses user agents; cheap to clone, safe to share between threads.
#[derive(Debug, Clone, Default)]
pub struct UserAgentParser {}

impl UserAgentParser {
    /// Builds the parser (compiles the regexes once per process).
    pub fn new() -> Self {
        Self {}
    }

    /// Parses `user_agent`, refined by client hints from the agent or the request headers.
    pub fn parse(&self, user_agent: &str, hints: Option<&ClientHints>, headers: HintHeaders<'_>) -> ParsedClient {
        let _ = (user_agent, hints, headers);
        ParsedClient::default()
    }
}
