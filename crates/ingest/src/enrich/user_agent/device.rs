//! Device class (desktop, mobile, tablet, other) and model, from uap-core's device, the OS
//! family and the client hints.
//!
//! uap-core names devices but does not classify them, so the class is decided here, first
//! match wins: TVs, consoles and headsets are `Other`; then the client hints' `mobile` flag;
//! then the device (`iPad`, generic Android tablet…); then the OS (Android without `Mobile`
//! is a tablet); then the `Mobi` token; then desktop operating systems.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use sightline_protocol::DeviceClass;
use ua_parser::device;

use super::client_hints::Hints;

/// Markers of devices that are neither handheld nor desktop (matched in any case).
const TV_CONSOLE_MARKERS: &[&str] = &[
    "smart-tv",
    "smarttv",
    "hbbtv",
    "googletv",
    "android tv",
    "appletv",
    "crkey", // Chromecast
    "bravia",
    "web0s",
    "tizen",
    "playstation",
    "xbox",
    "nintendo",
    "oculusbrowser",
];

/// Model names uap-core uses when it only knows the kind of device.
const PLACEHOLDER_MODELS: &[&str] = &["Smartphone", "Tablet", "Feature Phone", "Desktop", "K"];

static TV_CONSOLE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(TV_CONSOLE_MARKERS)
        .expect("the device markers are plain literals")
});

/// The device class of a client that is not a bot.
pub(super) fn classify(
    user_agent: &str,
    os: &str,
    device: Option<&device::ValueRef<'_>>,
    hints: &Hints<'_>,
) -> DeviceClass {
    if TV_CONSOLE.is_match(user_agent) {
        return DeviceClass::Other;
    }
    from_hints(os, hints).or_else(|| device.and_then(from_device)).unwrap_or_else(|| from_os(user_agent, os))
}

/// The model when uap-core (or the caller) knows one, e.g. `iPhone`, `Pixel 8`, `SM-S918B`.
pub(super) fn model(device: Option<&device::ValueRef<'_>>) -> Option<String> {
    let device = device?;
    let is_placeholder = device.device == "Spider" || device.brand.as_deref() == Some("Generic");
    let model = device.model.as_deref().unwrap_or(&device.device);
    if is_placeholder || model.is_empty() || PLACEHOLDER_MODELS.contains(&model) {
        return None;
    }
    Some(model.to_owned())
}

/// `Sec-CH-UA-Mobile` / `userAgentData.mobile`: phones say `true`; `false` is a tablet on
/// Android and a desktop elsewhere.
fn from_hints(os: &str, hints: &Hints<'_>) -> Option<DeviceClass> {
    match hints.mobile? {
        true => Some(DeviceClass::Mobile),
        false if os == "Android" => Some(DeviceClass::Tablet),
        false if is_desktop_os(os) => Some(DeviceClass::Desktop),
        false => None,
    }
}

fn from_device(device: &device::ValueRef<'_>) -> Option<DeviceClass> {
    let family = device.device.as_ref();
    let brand = device.brand.as_deref().unwrap_or_default();
    if family == "iPad"
        || family == "Generic Tablet"
        || family.starts_with("Kindle")
        || brand == "Generic_Android_Tablet"
    {
        return Some(DeviceClass::Tablet);
    }
    let is_phone = matches!(family, "iPhone" | "iPod" | "Generic Smartphone" | "Generic Feature Phone")
        || brand == "Generic_Android";
    is_phone.then_some(DeviceClass::Mobile)
}

fn from_os(user_agent: &str, os: &str) -> DeviceClass {
    match os {
        "Android" if user_agent.contains("Mobile") => DeviceClass::Mobile,
        "Android" | "BlackBerry Tablet OS" => DeviceClass::Tablet,
        "iOS" | "Windows Phone" | "Windows Mobile" | "BlackBerry OS" | "Firefox OS" | "KaiOS" => DeviceClass::Mobile,
        _ if os.starts_with("Symbian") || os.starts_with("Nokia Series") => DeviceClass::Mobile,
        _ if user_agent.contains("Mobi") => DeviceClass::Mobile,
        _ if is_desktop_os(os) => DeviceClass::Desktop,
        _ => DeviceClass::Other,
    }
}

/// Windows, macOS, Chrome OS, Linux distributions and the BSDs, as uap-core names them.
fn is_desktop_os(os: &str) -> bool {
    matches!(
        os,
        "Windows"
            | "Mac OS X"
            | "Mac OS"
            | "Chrome OS"
            | "Linux"
            | "Ubuntu"
            | "Kubuntu"
            | "Xubuntu"
            | "Lubuntu"
            | "Linux Mint"
            | "Debian"
            | "Fedora"
            | "Red Hat"
            | "CentOS"
            | "Gentoo"
            | "Arch Linux"
            | "Mageia"
            | "Mandriva"
            | "openSUSE"
            | "SUSE"
            | "Slackware"
            | "Solaris"
    ) || os.ends_with("BSD")
}
