//! User-Agent Client Hints: the agent's `navigator.userAgentData` and the `Sec-CH-UA*` headers,
//! reduced to one small [`Hints`] value, then applied over what the user agent string said.
//!
//! Chromium freezes most of its user agent string ("Android 10; K", "Windows NT 10.0") and
//! cannot tell Brave from Chrome there; the hints can. The headers are read by
//! `structured_field.rs`; every value is then bounded and checked before it is used.

use std::borrow::Cow;

use sightline_protocol::{ClientHints, ClientInfo};

use super::HintHeaders;
use super::structured_field::{MAX_BRANDS, parse_boolean, parse_brand_list, parse_string};

/// Longest brand, platform or model kept.
const MAX_VALUE_BYTES: usize = 64;
/// Longest platform version kept (`15.0.0`, `14541.0.0`).
const MAX_VERSION_BYTES: usize = 32;

/// What the client hints say, from the agent or else from the headers, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct Hints<'a> {
    /// The most specific real brand: `Google Chrome` rather than `Chromium`, never GREASE.
    pub brand: Option<Brand<'a>>,
    /// `true` on phones, `false` on tablets and desktops.
    pub mobile: Option<bool>,
    /// `Windows`, `macOS`, `Android`, `Chrome OS`, `Linux`…
    pub platform: Option<Cow<'a, str>>,
    /// High-entropy platform version, digits and dots only (`15.0.0`).
    pub platform_version: Option<Cow<'a, str>>,
    /// High-entropy device model (`Pixel 8`); never empty.
    pub model: Option<Cow<'a, str>>,
}

/// One brand of a brand list and its major version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Brand<'a> {
    /// Brand name as sent, e.g. `Microsoft Edge`.
    pub name: Cow<'a, str>,
    /// Leading digits of the version (`126`), when it has some.
    pub major: Option<Cow<'a, str>>,
}

impl<'a> Hints<'a> {
    /// Merges the agent's hints (preferred: they may carry high-entropy values) with the headers'.
    pub fn collect(agent: Option<&'a ClientHints>, headers: HintHeaders<'a>) -> Self {
        let from_headers = Self::from_headers(headers);
        match agent {
            Some(agent) => Self::from_agent(agent).or(from_headers),
            None => from_headers,
        }
    }

    /// An owned copy, to be kept as a cache key.
    pub fn into_owned(self) -> Hints<'static> {
        let owned = |value: Cow<'_, str>| Cow::Owned(value.into_owned());
        Hints {
            brand: self.brand.map(|brand| Brand { name: owned(brand.name), major: brand.major.map(owned) }),
            mobile: self.mobile,
            platform: self.platform.map(owned),
            platform_version: self.platform_version.map(owned),
            model: self.model.map(owned),
        }
    }

    fn from_agent(agent: &'a ClientHints) -> Self {
        let brands = agent.brands.iter().take(MAX_BRANDS);
        Self {
            brand: pick_brand(brands.map(|b| (Cow::Borrowed(b.brand.as_str()), Cow::Borrowed(b.version.as_str())))),
            mobile: agent.mobile,
            platform: agent.platform.as_deref().map(Cow::Borrowed).and_then(clean_value),
            platform_version: agent.platform_version.as_deref().map(Cow::Borrowed).and_then(clean_version),
            model: agent.model.as_deref().map(Cow::Borrowed).and_then(clean_value),
        }
    }

    fn from_headers(headers: HintHeaders<'a>) -> Self {
        Self {
            brand: headers.sec_ch_ua.and_then(parse_brand_list).and_then(|brands| pick_brand(brands.into_iter())),
            mobile: headers.sec_ch_ua_mobile.and_then(parse_boolean),
            platform: headers.sec_ch_ua_platform.and_then(parse_string).and_then(clean_value),
            platform_version: headers.sec_ch_ua_platform_version.and_then(parse_string).and_then(clean_version),
            model: headers.sec_ch_ua_model.and_then(parse_string).and_then(clean_value),
        }
    }

    /// Each field of `self`, or else of `fallback`.
    fn or(self, fallback: Self) -> Self {
        Self {
            brand: self.brand.or(fallback.brand),
            mobile: self.mobile.or(fallback.mobile),
            platform: self.platform.or(fallback.platform),
            platform_version: self.platform_version.or(fallback.platform_version),
            model: self.model.or(fallback.model),
        }
    }
}

/// How specific a brand is: lower wins. `None` for GREASE and brands that say nothing.
fn brand_rank(name: &str) -> Option<u8> {
    match name {
        "" | "Yowser" => None,
        _ if is_grease(name) => None,
        "Chromium" => Some(2),
        "Android WebView" => Some(1),
        _ => Some(0),
    }
}

/// Chromium's GREASE brands look like `Not/A)Brand`, `Not_A Brand`, ` Not;A Brand`.
fn is_grease(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.get(..3).is_some_and(|start| start.eq_ignore_ascii_case(b"not"))
        && bytes.windows(5).any(|word| word.eq_ignore_ascii_case(b"brand"))
}

/// The most specific brand, the first one on a tie.
fn pick_brand<'a>(brands: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>) -> Option<Brand<'a>> {
    let mut best: Option<(u8, Brand<'a>)> = None;
    for (name, version) in brands {
        let Some(name) = clean_value(name) else { continue };
        let Some(rank) = brand_rank(&name) else { continue };
        if best.as_ref().is_some_and(|(best_rank, _)| *best_rank <= rank) {
            continue;
        }
        best = Some((rank, Brand { name, major: leading_digits(version) }));
    }
    best.map(|(_, brand)| brand)
}

/// `126` from `126.0.6478.55`; `None` unless it starts with 1 to 5 digits.
fn leading_digits(version: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let version = trim(version);
    let digits = version.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=5).contains(&digits) {
        return None;
    }
    Some(match version {
        Cow::Borrowed(text) => Cow::Borrowed(&text[..digits]),
        Cow::Owned(mut text) => {
            text.truncate(digits);
            Cow::Owned(text)
        }
    })
}

/// A trimmed, non-empty, short value without control characters.
fn clean_value(value: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let value = trim(value);
    let plausible = !value.is_empty() && value.len() <= MAX_VALUE_BYTES && !value.chars().any(char::is_control);
    plausible.then_some(value)
}

/// A trimmed version made of digits and dots, starting with a digit.
fn clean_version(version: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let version = trim(version);
    let plausible = version.len() <= MAX_VERSION_BYTES
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plausible.then_some(version)
}

fn trim(value: Cow<'_, str>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) if text.trim().len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    }
}

/// Applies the hints over what the user agent string said: browser, OS and version, model.
pub(super) fn refine(client: &mut ClientInfo, hints: &Hints<'_>) {
    if let Some(brand) = &hints.brand {
        refine_browser(client, brand);
    }
    if let Some(platform) = &hints.platform {
        refine_os(client, platform, hints.platform_version.as_deref());
    }
    if let Some(model) = &hints.model {
        client.device_model = Some(model.to_string());
    }
}

/// The uap-core family name for a brand, so hinted and unhinted clients group together.
fn family_for_brand(brand: &str) -> &str {
    match brand {
        "Google Chrome" => "Chrome",
        "Microsoft Edge" => "Edge",
        "Opera" | "Opera GX" => "Opera",
        "YaBrowser" | "Yandex" => "Yandex Browser",
        "Android WebView" => "Chrome Mobile WebView",
        other => other,
    }
}

/// Families a Chromium-based browser is mistaken for when its user agent hides its name.
fn is_generic_chromium(family: &str) -> bool {
    matches!(family, "" | "Other" | "Chrome" | "Chrome Mobile" | "Chromium" | "Chrome Mobile WebView")
}

/// Takes the brand's name when the user agent only looked like generic Chromium (Brave, an
/// unknown UA), and its version whenever it names the same browser as the user agent.
fn refine_browser(client: &mut ClientInfo, brand: &Brand<'_>) {
    let family = family_for_brand(&brand.name);
    let agrees =
        client.browser == family || client.browser.strip_prefix(family).is_some_and(|rest| rest.starts_with(' '));
    if !agrees {
        let unknown = matches!(client.browser.as_str(), "" | "Other");
        let names_the_browser = brand.name != "Chromium" || unknown;
        if !(is_generic_chromium(&client.browser) && names_the_browser) {
            return; // the string knows better: `Instagram` over `Android WebView`, `Chrome` over `Chromium`
        }
        client.browser = family.to_owned();
    }
    if let Some(major) = &brand.major {
        client.browser_version = major.to_string();
    }
}

/// The uap-core OS family for a `Sec-CH-UA-Platform` value.
fn os_for_platform(platform: &str) -> &str {
    match platform {
        "macOS" => "Mac OS X",
        "Chromium OS" => "Chrome OS",
        other => other,
    }
}

/// Takes the platform as the OS unless the user agent named a Linux distribution, and the
/// platform version where it means something: Windows 10 or 11, macOS, Android, Chrome OS.
fn refine_os(client: &mut ClientInfo, platform: &str, version: Option<&str>) {
    if platform == "Unknown" {
        return;
    }
    let os = os_for_platform(platform);
    let linux_distribution = os == "Linux" && !matches!(client.os.as_str(), "" | "Other" | "Android" | "Chrome OS");
    if client.os != os && !linux_distribution {
        client.os = os.to_owned();
        client.os_version.clear();
    }
    let Some(version) = version else { return };
    let hinted_version = match os {
        "Windows" => windows_version(version),
        "Mac OS X" => Some(major_minor(version)),
        "Android" | "Chrome OS" => Some(major(version)),
        _ => None,
    };
    if let Some(hinted_version) = hinted_version.filter(|v| !v.is_empty()) {
        client.os_version = hinted_version.to_owned();
    }
}

/// Windows' `platformVersion` is the UniversalApiContract version: 13 and above is Windows 11,
/// 1 to 12 Windows 10, and `0.1`, `0.2`, `0.3` are Windows 7, 8 and 8.1.
fn windows_version(version: &str) -> Option<&'static str> {
    let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
    match (parts.next().flatten()?, parts.next().flatten()) {
        (13.., _) => Some("11"),
        (1..=12, _) => Some("10"),
        (0, Some(1)) => Some("7"),
        (0, Some(2 | 3)) => Some("8"),
        _ => None,
    }
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn major_minor(version: &str) -> &str {
    let mut dots = version.match_indices('.').map(|(index, _)| index);
    match (dots.next(), dots.next()) {
        (Some(_), Some(second)) => &version[..second],
        _ => version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_most_specific_real_brand() {
        let pick = |list: &[(&'static str, &'static str)]| {
            pick_brand(list.iter().map(|&(name, version)| (Cow::Borrowed(name), Cow::Borrowed(version))))
                .map(|brand| (brand.name.into_owned(), brand.major.map(Cow::into_owned)))
        };
        let brand = |name: &str, major: &str| Some((name.to_owned(), Some(major.to_owned())));
        assert_eq!(
            pick(&[("Not/A)Brand", "8"), ("Chromium", "126"), ("Google Chrome", "126")]),
            brand("Google Chrome", "126")
        );
        assert_eq!(pick(&[("Chromium", "124"), ("YaBrowser", "24.6"), ("Yowser", "2.5")]), brand("YaBrowser", "24"));
        assert_eq!(pick(&[("Android WebView", "126"), ("DuckDuckGo", "5")]), brand("DuckDuckGo", "5"));
        assert_eq!(pick(&[("Chromium", "126"), ("Android WebView", "126")]), brand("Android WebView", "126"));
        assert_eq!(pick(&[(" Not;A Brand", "99"), ("Chromium", "125")]), brand("Chromium", "125"));
        assert_eq!(pick(&[("Not_A Brand", "8")]), None);
        assert_eq!(pick(&[("Brave", "beta")]), Some(("Brave".to_owned(), None)));
    }

    #[test]
    fn maps_windows_platform_versions() {
        let versions = ["0.1.0", "0.3.0", "1.0.0", "10.0.0", "12.0.0", "13.0.0", "15.0.0", "0.0.0", "x"];
        let mapped = versions.map(windows_version);
        assert_eq!(
            mapped,
            [Some("7"), Some("8"), Some("10"), Some("10"), Some("10"), Some("11"), Some("11"), None, None]
        );
    }

    #[test]
    fn cleans_versions() {
        assert_eq!(major_minor("14.5.1"), "14.5");
        assert_eq!(major_minor("14"), "14");
        assert_eq!(clean_version(Cow::Borrowed("15.0.0")).as_deref(), Some("15.0.0"));
        assert_eq!(clean_version(Cow::Borrowed("15; rm")), None);
    }
}
