//! The world the population lives in, as documented constants: where visitors are, what
//! they browse with, how fast their networks are, which releases they run, the shop's
//! pages and how people move between them, and the errors the shop throws.
//!
//! The numbers are chosen to look like a mid-sized international web shop and to tell a
//! story on the dashboard (see `docs/load-generator.md`):
//!
//! - India, Brazil, Nigeria, Indonesia and the Philippines are mobile-heavy, often on 3g
//!   or worse, and far from the origin: their LCP is two to three times the US one.
//! - Release 2.4.0 (the middle of the window) regressed LCP on `/products/:id` by
//!   [`BAD_RELEASE_PRODUCT_LCP`] and throws a `TypeError` on product pages; 2.4.1 fixed both.
//! - Traffic follows the visitors' local day: quiet at 4 am, busiest around 8 pm.

/// A country visitors come from.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, as `CF-IPCountry` sends it.
    pub code: &'static str,
    /// Relative share of sessions over a whole day.
    pub weight: f64,
    /// Offset of local time from UTC, hours (the main time zone).
    pub utc_offset_hours: f64,
    /// Multiplier of network-bound times (TTFB, downloads): distance to the origin and CDN quality.
    pub latency_factor: f64,
    /// Share of sessions on a phone.
    pub mobile_share: f64,
    /// Share of sessions on a network slower than 4g.
    pub slow_network_share: f64,
    /// `navigator.language`.
    pub locale: &'static str,
}

const fn country(
    code: &'static str,
    weight: f64,
    utc_offset_hours: f64,
    latency_factor: f64,
    mobile_share: f64,
    slow_network_share: f64,
    locale: &'static str,
) -> Country {
    Country { code, weight, utc_offset_hours, latency_factor, mobile_share, slow_network_share, locale }
}

/// Where sessions come from.
pub const COUNTRIES: [Country; 20] = [
    country("US", 24.0, -5.0, 1.00, 0.55, 0.06, "en-US"),
    country("IN", 14.0, 5.5, 1.45, 0.80, 0.35, "en-IN"),
    country("DE", 8.0, 1.0, 0.95, 0.50, 0.07, "de-DE"),
    country("GB", 7.0, 0.0, 0.95, 0.55, 0.06, "en-GB"),
    country("BR", 7.0, -3.0, 1.35, 0.75, 0.28, "pt-BR"),
    country("FR", 5.0, 1.0, 1.00, 0.50, 0.08, "fr-FR"),
    country("JP", 5.0, 9.0, 0.90, 0.60, 0.04, "ja-JP"),
    country("CA", 4.0, -5.0, 1.00, 0.50, 0.07, "en-CA"),
    country("ID", 3.0, 7.0, 1.40, 0.85, 0.35, "id-ID"),
    country("MX", 3.0, -6.0, 1.25, 0.70, 0.20, "es-MX"),
    country("ES", 3.0, 1.0, 1.00, 0.55, 0.08, "es-ES"),
    country("IT", 3.0, 1.0, 1.05, 0.55, 0.09, "it-IT"),
    country("AU", 2.0, 10.0, 1.20, 0.50, 0.06, "en-AU"),
    country("NL", 2.0, 1.0, 0.90, 0.45, 0.04, "nl-NL"),
    country("PL", 2.0, 1.0, 1.05, 0.55, 0.10, "pl-PL"),
    country("TR", 2.0, 3.0, 1.20, 0.70, 0.20, "tr-TR"),
    country("KR", 2.0, 9.0, 0.85, 0.65, 0.03, "ko-KR"),
    country("NG", 2.0, 1.0, 1.60, 0.85, 0.45, "en-NG"),
    country("PH", 2.0, 8.0, 1.40, 0.80, 0.35, "en-PH"),
    country("SE", 1.0, 1.0, 0.90, 0.45, 0.04, "sv-SE"),
];

/// Relative traffic by local hour (0–23): quiet at night, busiest in the evening.
pub const DAILY_TRAFFIC: [f64; 24] = [
    0.35, 0.25, 0.18, 0.14, 0.13, 0.16, 0.28, 0.45, 0.62, 0.72, 0.78, 0.82, //
    0.86, 0.84, 0.82, 0.82, 0.85, 0.90, 0.97, 1.00, 0.98, 0.88, 0.70, 0.50,
];

/// Browsers by label (see [`crate::browsers::BROWSERS`]) and weight, among phones.
pub const MOBILE_BROWSERS: [(&str, f64); 3] =
    [("chrome-android", 50.0), ("safari-iphone", 38.0), ("samsung-android", 12.0)];

/// Browsers by label and weight, among desktops and tablets.
pub const DESKTOP_BROWSERS: [(&str, f64); 7] = [
    ("chrome-windows", 50.0),
    ("chrome-mac", 14.0),
    ("edge-windows", 12.0),
    ("safari-mac", 10.0),
    ("firefox-windows", 8.0),
    ("safari-ipad", 4.0),
    ("firefox-linux", 2.0),
];

/// A network class as `navigator.connection.effectiveType` reports it.
#[derive(Debug, Clone, Copy)]
pub struct NetworkClass {
    /// `effective_type` on the wire.
    pub effective_type: &'static str,
    /// Weight among slow networks (4g is chosen by the country's `slow_network_share`).
    pub weight_when_slow: f64,
    /// Range of `rtt_ms` (the browser rounds it to 25 ms).
    pub rtt_ms: (f64, f64),
    /// Range of `downlink_mbps`.
    pub downlink_mbps: (f64, f64),
    /// Multiplier of network-bound times.
    pub latency_factor: f64,
}

/// The four effective connection types; index 0 is 4g.
pub const NETWORKS: [NetworkClass; 4] = [
    NetworkClass {
        effective_type: "4g",
        weight_when_slow: 0.0,
        rtt_ms: (50.0, 175.0),
        downlink_mbps: (2.0, 10.0),
        latency_factor: 1.0,
    },
    NetworkClass {
        effective_type: "3g",
        weight_when_slow: 65.0,
        rtt_ms: (275.0, 550.0),
        downlink_mbps: (0.4, 1.6),
        latency_factor: 1.9,
    },
    NetworkClass {
        effective_type: "2g",
        weight_when_slow: 22.0,
        rtt_ms: (1400.0, 2000.0),
        downlink_mbps: (0.1, 0.3),
        latency_factor: 3.2,
    },
    NetworkClass {
        effective_type: "slow-2g",
        weight_when_slow: 13.0,
        rtt_ms: (2000.0, 3000.0),
        downlink_mbps: (0.05, 0.1),
        latency_factor: 4.5,
    },
];

/// Share of sessions with `save_data` on: on 4g, and on slower networks.
pub const SAVE_DATA_SHARE: (f64, f64) = (0.02, 0.12);

/// Multiplier of CPU-bound times (rendering, script, interactions) on phones.
pub const MOBILE_CPU_FACTOR: f64 = 1.5;

/// A release of the shop's front end and when it was deployed.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    /// `context.release`.
    pub version: &'static str,
    /// Deployed at this fraction of the time window (0 = its start).
    pub deployed_at: f64,
}

/// Releases, oldest first. Sessions run the newest release deployed when they start,
/// except [`STRAGGLER_SHARE`] of them, which still run the one before (a cached bundle).
pub const RELEASES: [Release; 3] = [
    Release { version: "2.3.2", deployed_at: 0.0 },
    Release { version: "2.4.0", deployed_at: 0.30 },
    Release { version: "2.4.1", deployed_at: 0.55 },
];

/// Share of sessions still on the previous release.
pub const STRAGGLER_SHARE: f64 = 0.15;

/// The release that regressed product pages.
pub const BAD_RELEASE: &str = "2.4.0";

/// LCP multiplier on `/products/:id` in [`BAD_RELEASE`] (an unoptimised hero image).
pub const BAD_RELEASE_PRODUCT_LCP: f64 = 1.7;

/// Share of product views in [`BAD_RELEASE`] that throw its `TypeError`.
pub const BAD_RELEASE_PRODUCT_ERROR_SHARE: f64 = 0.12;

/// Deployment environments and their weights.
pub const ENVIRONMENTS: [(&str, f64); 2] = [("production", 98.0), ("staging", 2.0)];

/// Share of sessions with a signed-in user (`context.user`).
pub const SIGNED_IN_SHARE: f64 = 0.35;

/// Consent states and their weights.
pub const CONSENT: [(&str, f64); 2] = [("granted", 96.0), ("pending", 4.0)];

/// The shop's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `/`
    Home,
    /// `/products/:id`
    Product,
    /// `/category/:slug`
    Category,
    /// `/search?q=…`
    Search,
    /// `/cart`
    Cart,
    /// `/checkout`, a separate application: always a full page load.
    Checkout,
    /// `/orders/:uuid`
    Order,
    /// `/account`
    Account,
}

/// Every route, in the order of the tables below.
pub const ROUTES: [Route; 8] = [
    Route::Home,
    Route::Product,
    Route::Category,
    Route::Search,
    Route::Cart,
    Route::Checkout,
    Route::Order,
    Route::Account,
];

/// Where sessions land, by weight (same order as [`ROUTES`]).
pub const LANDING: [f64; 8] = [28.0, 32.0, 18.0, 12.0, 3.0, 0.0, 2.0, 5.0];

/// Where people go next from each route (rows and columns in the order of [`ROUTES`]).
pub const NEXT: [[f64; 8]; 8] = [
    // home, product, category, search, cart, checkout, order, account
    [0.0, 30.0, 35.0, 25.0, 0.0, 0.0, 0.0, 10.0], // from home
    [5.0, 35.0, 20.0, 15.0, 25.0, 0.0, 0.0, 0.0], // from product
    [10.0, 60.0, 15.0, 15.0, 0.0, 0.0, 0.0, 0.0], // from category
    [0.0, 65.0, 15.0, 20.0, 0.0, 0.0, 0.0, 0.0],  // from search
    [15.0, 25.0, 0.0, 0.0, 0.0, 60.0, 0.0, 0.0],  // from cart
    [0.0, 0.0, 0.0, 0.0, 30.0, 0.0, 70.0, 0.0],   // from checkout
    [50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0],   // from order
    [50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0, 0.0],   // from account
];

/// Probability that a session goes on to another page: views per session are geometric,
/// 1 / (1 − p) ≈ 3.6 on average.
pub const CONTINUE_SHARE: f64 = 0.72;

/// Most views in one session.
pub const MAX_VIEWS: u32 = 30;

/// How the first page of a session was opened, by weight.
pub const FIRST_NAVIGATION: [(&str, f64); 4] =
    [("navigate", 88.0), ("reload", 5.0), ("back_forward", 4.0), ("prerender", 3.0)];

/// Share of later views that are full page loads rather than SPA route changes
/// (checkout always is).
pub const HARD_NAVIGATION_SHARE: f64 = 0.12;

/// Time on a page: log-normal median and shape, ms.
pub const DWELL_MS: (f64, f64) = (22_000.0, 0.9);

/// Products in the catalogue (ids 1000…); low ids are the popular ones.
pub const PRODUCTS: u64 = 4000;

/// Category slugs.
pub const CATEGORIES: [&str; 7] = ["shoes", "running", "hiking", "sale", "kids", "accessories", "new-arrivals"];

/// Search queries, URL-encoded.
pub const QUERIES: [&str; 6] =
    ["trail+shoes", "red+sneakers", "rain+jacket", "wool+socks", "running+shorts", "kids+boots"];

/// Campaigns on landing URLs: `(utm_source, utm_medium)`.
pub const CAMPAIGNS: [(&str, &str); 4] =
    [("google", "cpc"), ("newsletter", "email"), ("instagram", "social"), ("bing", "cpc")];

/// Share of landing views that carry a campaign.
pub const CAMPAIGN_SHARE: f64 = 0.25;

/// Referrers of landing views (`None`: typed or bookmarked).
pub const REFERRERS: [(Option<&str>, f64); 5] = [
    (Some("https://www.google.com/"), 45.0),
    (None, 30.0),
    (Some("https://www.bing.com/"), 8.0),
    (Some("https://l.instagram.com/"), 10.0),
    (Some("https://news.ycombinator.com/"), 7.0),
];

/// Base LCP median by route on a desktop on 4g in the US, ms (before the country, network,
/// device and release factors), and the log-normal shape.
pub fn lcp_median_ms(route: Route) -> f64 {
    match route {
        Route::Home => 1500.0,
        Route::Product => 1700.0,
        Route::Category => 1600.0,
        Route::Search => 1300.0,
        Route::Cart | Route::Account => 1100.0,
        Route::Checkout => 1400.0,
        Route::Order => 1200.0,
    }
}

/// Log-normal shape of LCP, TTFB and the other load times.
pub const LOAD_SIGMA: f64 = 0.5;

/// Share of page loads hit by a slow tail (a cold cache, a slow backend), and its multiplier.
pub const SLOW_TAIL: (f64, f64) = (0.05, 2.5);

/// TTFB median on 4g in the US, ms.
pub const TTFB_MEDIAN_MS: f64 = 240.0;

/// INP: log-normal median and shape on a desktop, ms; and the share of interactions that
/// hit a long task (multiplied by 4: most of the poor ones).
pub const INP: (f64, f64, f64) = (90.0, 0.55, 0.04);

/// CLS buckets: `(weight, low, high)`: most views barely shift, a few shift a lot.
pub const CLS_BUCKETS: [(f64, f64, f64); 4] =
    [(65.0, 0.0, 0.02), (23.0, 0.02, 0.1), (8.0, 0.1, 0.25), (4.0, 0.25, 0.8)];

/// Share of views (besides the bad release's) with an error.
pub const ERROR_VIEW_SHARE: f64 = 0.03;

/// Shares of API requests answered with a 4xx, a 5xx, or failing without an answer.
pub const REQUEST_FAILURES: (f64, f64, f64) = (0.025, 0.01, 0.005);

/// Share of first-party API requests carrying a `traceparent` (trace and span ids).
pub const TRACED_SHARE: f64 = 0.6;

/// Frustration signals on clicks: rage, dead, and error (the latter only on views with an error).
pub const FRUSTRATION: (f64, f64, f64) = (0.015, 0.03, 0.3);

/// An error the shop throws.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKind {
    /// `error_type`.
    pub error_type: &'static str,
    /// `message`.
    pub message: &'static str,
    /// Stack frames `(function, column)` in the app bundle; empty: no stack.
    pub frames: &'static [(&'static str, u32)],
    /// `source`.
    pub source: &'static str,
    /// `handled`.
    pub handled: bool,
    /// Relative weight among ordinary errors.
    pub weight: f64,
}

/// The error of [`BAD_RELEASE`] on product pages.
pub const BAD_RELEASE_ERROR: ErrorKind = ErrorKind {
    error_type: "TypeError",
    message: "Cannot read properties of undefined (reading 'variants')",
    frames: &[("ProductGallery.render", 48_213), ("renderWithHooks", 91_342), ("beginWork", 120_554)],
    source: "unhandled",
    handled: false,
    weight: 0.0,
};

/// Ordinary errors, on any page.
pub const ERRORS: [ErrorKind; 6] = [
    ErrorKind {
        error_type: "TypeError",
        message: "Cannot read properties of null (reading 'addEventListener')",
        frames: &[("HeroCarousel.mount", 31_877), ("Array.forEach", 0), ("initWidgets", 30_112)],
        source: "unhandled",
        handled: false,
        weight: 30.0,
    },
    ErrorKind {
        error_type: "ChunkLoadError",
        message: "Loading chunk 742 failed.",
        frames: &[("__webpack_require__.f.j", 2_210), ("Array.reduce", 0), ("__webpack_require__.e", 1_988)],
        source: "promise",
        handled: false,
        weight: 20.0,
    },
    ErrorKind {
        error_type: "Error",
        message: "Request failed with status code 503",
        frames: &[("createError", 61_440), ("settle", 61_877), ("XMLHttpRequest.onloadend", 62_301)],
        source: "custom",
        handled: true,
        weight: 15.0,
    },
    ErrorKind {
        error_type: "Error",
        message: "ResizeObserver loop completed with undelivered notifications.",
        frames: &[],
        source: "unhandled",
        handled: false,
        weight: 20.0,
    },
    ErrorKind {
        error_type: "",
        message: "Script error.",
        frames: &[],
        source: "unhandled",
        handled: false,
        weight: 10.0,
    },
    ErrorKind {
        error_type: "Error",
        message: "Failed to load image",
        frames: &[],
        source: "resource",
        handled: false,
        weight: 5.0,
    },
];
