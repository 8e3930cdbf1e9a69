//! The stories of `sightline demo`: a scenario layer over the population that plants
//! incidents a user can find in the dashboard (`docs/demo.md`). Without a scenario
//! ([`Scenario::Plain`]) nothing here changes the population: the hooks in `session` and
//! `events` ask these functions, which then answer "as before" without drawing a random
//! number, so the benchmarks' beacons stay byte for byte what they were.
//!
//! The demo's history ([`Scenario::DemoHistory`]) places its stories at fractions of the
//! window (30 days by default):
//!
//! | when | story |
//! |---|---|
//! | 0.20 | release 3.1.0 throws a `TypeError` on a quarter of product pages (an error spike) |
//! | 0.27 | release 3.1.1 fixes it |
//! | 0.60 | release 3.2.0 makes the checkout's interactions 2.8× slower on Chrome for Android (INP) |
//! | 0.80 to 0.80 + 2 days | a CDN problem in Germany: the server's response 6× slower (TTFB) |
//! | always | the cart's "Apply coupon" button draws rage clicks |
//! | always | a third-party chat widget takes most of every long animation frame |
//!
//! The live traffic ([`Scenario::DemoLive`]) runs release 3.2.0 only, with the rage clicks
//! and the widget, and no incident of a time.

use super::world::{BAD_RELEASE, BAD_RELEASE_PRODUCT_ERROR_SHARE, BAD_RELEASE_PRODUCT_LCP, RELEASES, Release, Route};

/// Which stories the population tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// The load generator's population as it always was.
    #[default]
    Plain,
    /// The demo's generated history, with its incidents at fixed fractions of the window.
    DemoHistory,
    /// The demo's live traffic: the newest release, the lasting stories only.
    DemoLive,
}

/// Releases of the demo's history, oldest first (deployed at a fraction of the window).
pub const DEMO_RELEASES: [Release; 4] = [
    Release { version: "3.0.0", deployed_at: 0.0 },
    Release { version: "3.1.0", deployed_at: 0.20 },
    Release { version: "3.1.1", deployed_at: 0.27 },
    Release { version: "3.2.0", deployed_at: 0.60 },
];

/// The live traffic's only release.
pub const LIVE_RELEASES: [Release; 1] = [Release { version: "3.2.0", deployed_at: 0.0 }];

/// The release whose deploy raised errors (fixed in the next one).
pub const ERROR_RELEASE: &str = "3.1.0";
/// Share of its product views that throw.
pub const ERROR_RELEASE_SHARE: f64 = 0.25;

/// The release that made the checkout slow to respond on mobile Chrome.
pub const INP_RELEASE: &str = "3.2.0";
/// The browser it hurts (the population's label: Chrome on Android).
pub const INP_BROWSER: &str = "chrome-android";
/// Its INP multiplier on `/checkout`.
pub const INP_FACTOR: f64 = 2.8;

/// The country of the CDN problem.
pub const CDN_COUNTRY: &str = "DE";
/// When it started, as a fraction of the history's window, and how long it lasted, ms.
pub const CDN_START: f64 = 0.80;
/// Two days.
pub const CDN_DURATION_MS: f64 = 2.0 * 86_400_000.0;
/// Multiplier of the request phase of TTFB meanwhile.
pub const CDN_FACTOR: f64 = 6.0;

/// The button that draws rage clicks: readable name and selector, on the cart.
pub const RAGE_BUTTON: (&str, &str) = ("Apply coupon", "button.apply-coupon");
/// Share of the cart's clicks that are on it, and share of those that are rage clicks.
pub const RAGE_SHARES: (f64, f64) = (0.5, 0.4);

/// The third-party script behind most long animation frames.
pub const WIDGET_SCRIPT: (&str, &str) = ("https://cdn.chatwidget.example/v2/widget.js", "pollMessages");

/// The releases sessions pick from.
pub fn releases(scenario: Scenario) -> &'static [Release] {
    match scenario {
        Scenario::Plain => &RELEASES,
        Scenario::DemoHistory => &DEMO_RELEASES,
        Scenario::DemoLive => &LIVE_RELEASES,
    }
}

/// The LCP multiplier of product pages in `release`.
pub fn product_lcp_factor(scenario: Scenario, release: &str) -> f64 {
    if scenario == Scenario::Plain && release == BAD_RELEASE { BAD_RELEASE_PRODUCT_LCP } else { 1.0 }
}

/// The share of product views of `release` that throw the bad release's error, if any.
pub fn product_error_share(scenario: Scenario, release: &str) -> Option<f64> {
    match scenario {
        Scenario::Plain => (release == BAD_RELEASE).then_some(BAD_RELEASE_PRODUCT_ERROR_SHARE),
        _ => (release == ERROR_RELEASE).then_some(ERROR_RELEASE_SHARE),
    }
}

/// The multiplier of a view's INP.
pub fn inp_factor(scenario: Scenario, release: &str, route: Route, browser: &str) -> f64 {
    let hit =
        scenario != Scenario::Plain && release == INP_RELEASE && route == Route::Checkout && browser == INP_BROWSER;
    if hit { INP_FACTOR } else { 1.0 }
}

/// The multiplier of the server's response time (TTFB's request phase) for a session from
/// `country` starting at epoch `start_ms`, the window being `[window_start_ms, now_ms)`.
pub fn ttfb_factor(scenario: Scenario, country: &str, start_ms: f64, window: (f64, f64)) -> f64 {
    if scenario != Scenario::DemoHistory || country != CDN_COUNTRY {
        return 1.0;
    }
    let (window_start_ms, now_ms) = window;
    let from = window_start_ms + CDN_START * (now_ms - window_start_ms);
    if (from..from + CDN_DURATION_MS).contains(&start_ms) { CDN_FACTOR } else { 1.0 }
}

/// The rage-click button of `route`, if it has one: target, selector, share of the route's
/// clicks on it, share of those that are rage clicks.
pub fn rage_button(scenario: Scenario, route: Route) -> Option<(&'static str, &'static str, f64, f64)> {
    (scenario != Scenario::Plain && route == Route::Cart).then_some((
        RAGE_BUTTON.0,
        RAGE_BUTTON.1,
        RAGE_SHARES.0,
        RAGE_SHARES.1,
    ))
}

/// The third-party script that dominates long animation frames, if any.
pub fn frame_hog(scenario: Scenario) -> Option<(&'static str, &'static str)> {
    (scenario != Scenario::Plain).then_some(WIDGET_SCRIPT)
}
