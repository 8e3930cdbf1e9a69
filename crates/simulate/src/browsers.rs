//! Real-world browsers, as their user agents and client hints read in 2025–2026.

use serde_json::{Value, json};
use sightline_ingest::enrich::user_agent::HintHeaders;

/// A browser as the intake sees it: its `User-Agent`, and for Chromium browsers the
/// `Sec-CH-UA*` headers and the `navigator.userAgentData` values the agent reports.
#[derive(Debug, Clone, Copy)]
pub struct Browser {
    /// Short name for reports, e.g. `chrome-windows`.
    pub label: &'static str,
    /// The `User-Agent` header.
    pub user_agent: &'static str,
    /// Chromium only: `(brand, major version)` list, GREASE brand included.
    pub brands: &'static [(&'static str, &'static str)],
    /// Chromium only: the platform hint, e.g. `Windows`.
    pub platform: Option<&'static str>,
    /// Chromium only: the high-entropy platform version.
    pub platform_version: Option<&'static str>,
    /// Chromium on Android only: the device model.
    pub model: Option<&'static str>,
    /// A phone (the `mobile` hint; also picks the viewport).
    pub mobile: bool,
}

const CHROME: &[(&str, &str)] = &[("Google Chrome", "131"), ("Chromium", "131"), ("Not_A Brand", "24")];
const EDGE: &[(&str, &str)] = &[("Microsoft Edge", "131"), ("Chromium", "131"), ("Not_A Brand", "24")];
const SAMSUNG: &[(&str, &str)] = &[("Samsung Internet", "26"), ("Chromium", "122"), ("Not(A:Brand", "24")];

/// Browsers in rough proportion to real traffic: Chrome first, Safari next, then the rest.
pub const BROWSERS: [Browser; 10] = [
    Browser {
        label: "chrome-windows",
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        brands: CHROME,
        platform: Some("Windows"),
        platform_version: Some("15.0.0"),
        model: None,
        mobile: false,
    },
    Browser {
        label: "chrome-android",
        user_agent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        brands: CHROME,
        platform: Some("Android"),
        platform_version: Some("14.0.0"),
        model: Some("Pixel 7"),
        mobile: true,
    },
    Browser {
        label: "safari-iphone",
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
        brands: &[],
        platform: None,
        platform_version: None,
        model: None,
        mobile: true,
    },
    Browser {
        label: "chrome-mac",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        brands: CHROME,
        platform: Some("macOS"),
        platform_version: Some("15.1.0"),
        model: None,
        mobile: false,
    },
    Browser {
        label: "safari-mac",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        brands: &[],
        platform: None,
        platform_version: None,
        model: None,
        mobile: false,
    },
    Browser {
        label: "firefox-windows",
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        brands: &[],
        platform: None,
        platform_version: None,
        model: None,
        mobile: false,
    },
    Browser {
        label: "edge-windows",
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        brands: EDGE,
        platform: Some("Windows"),
        platform_version: Some("10.0.0"),
        model: None,
        mobile: false,
    },
    Browser {
        label: "samsung-android",
        user_agent: "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        brands: SAMSUNG,
        platform: Some("Android"),
        platform_version: Some("14.0.0"),
        model: Some("SM-S918B"),
        mobile: true,
    },
    Browser {
        label: "safari-ipad",
        user_agent: "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        brands: &[],
        platform: None,
        platform_version: None,
        model: None,
        mobile: false,
    },
    Browser {
        label: "firefox-linux",
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        brands: &[],
        platform: None,
        platform_version: None,
        model: None,
        mobile: false,
    },
];

impl Browser {
    /// True for Chromium browsers, which send client hints.
    pub fn has_client_hints(&self) -> bool {
        !self.brands.is_empty()
    }

    /// `context.client_hints` as the agent sends it, or `null`.
    pub fn client_hints_json(&self) -> Value {
        if !self.has_client_hints() {
            return Value::Null;
        }
        let brands: Vec<Value> =
            self.brands.iter().map(|(brand, version)| json!({ "brand": brand, "version": version })).collect();
        json!({
            "brands": brands,
            "mobile": self.mobile,
            "platform": self.platform,
            "platform_version": self.platform_version,
            "model": self.model.unwrap_or(""),
        })
    }

    /// The `Sec-CH-UA` header value, e.g. `"Google Chrome";v="131", "Chromium";v="131", …`.
    pub fn sec_ch_ua(&self) -> Option<String> {
        self.has_client_hints().then(|| {
            let brands: Vec<String> =
                self.brands.iter().map(|(brand, version)| format!("\"{brand}\";v=\"{version}\"")).collect();
            brands.join(", ")
        })
    }

    /// The `Sec-CH-UA-Platform` header value, quoted as browsers send it.
    pub fn sec_ch_ua_platform(&self) -> Option<String> {
        self.platform.map(|platform| format!("\"{platform}\""))
    }

    /// The low-entropy hint headers a Chromium browser sends on every request.
    pub fn hint_headers<'a>(&self, sec_ch_ua: Option<&'a str>, platform: Option<&'a str>) -> HintHeaders<'a> {
        HintHeaders {
            sec_ch_ua,
            sec_ch_ua_mobile: self.has_client_hints().then_some(if self.mobile { "?1" } else { "?0" }),
            sec_ch_ua_platform: platform,
            ..HintHeaders::default()
        }
    }
}
