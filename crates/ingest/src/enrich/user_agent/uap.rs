//! The uap-core rules, converted to Rust statics by `build.rs`, and the extractor compiled from
//! them once per process.

use std::borrow::Cow;
use std::sync::LazyLock;

use ua_parser::{Extractor, device, os, user_agent};

/// A `user_agent_parsers` rule: browser family and version.
pub(super) struct UserAgentRule {
    regex: &'static str,
    family_replacement: Option<&'static str>,
    v1_replacement: Option<&'static str>,
    v2_replacement: Option<&'static str>,
    v3_replacement: Option<&'static str>,
    v4_replacement: Option<&'static str>,
}

/// An `os_parsers` rule: OS family and version.
pub(super) struct OsRule {
    regex: &'static str,
    os_replacement: Option<&'static str>,
    os_v1_replacement: Option<&'static str>,
    os_v2_replacement: Option<&'static str>,
    os_v3_replacement: Option<&'static str>,
    os_v4_replacement: Option<&'static str>,
}

/// A `device_parsers` rule: device family, brand and model.
pub(super) struct DeviceRule {
    regex: &'static str,
    /// `Some("i")` for a case-insensitive regex (the only flag `build.rs` accepts).
    regex_flag: Option<&'static str>,
    device_replacement: Option<&'static str>,
    brand_replacement: Option<&'static str>,
    model_replacement: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/uap_rules.rs"));

/// The compiled extractor, built on first use.
static EXTRACTOR: LazyLock<Extractor<'static>> =
    LazyLock::new(|| build_extractor().expect("the uap-core rules compile (checked by the tests)"));

/// What uap-core makes of a user agent; every part is optional.
pub(super) type Extracted<'a> =
    (Option<user_agent::ValueRef<'a>>, Option<os::ValueRef<'a>>, Option<device::ValueRef<'a>>);

/// Compiles the extractor now rather than on the first parse.
pub(super) fn warm_up() {
    LazyLock::force(&EXTRACTOR);
}

/// Runs the browser, OS and device rules over `user_agent`.
pub(super) fn extract(user_agent: &str) -> Extracted<'_> {
    EXTRACTOR.extract(user_agent)
}

fn build_extractor() -> Result<Extractor<'static>, ua_parser::Error> {
    let browsers = user_agent::Builder::new().push_all(USER_AGENT_RULES.iter().map(UserAgentRule::parser))?.build()?;
    let oses = os::Builder::new().push_all(OS_RULES.iter().map(OsRule::parser))?.build()?;
    let devices = device::Builder::new().push_all(DEVICE_RULES.iter().map(DeviceRule::parser))?.build()?;
    Ok(Extractor { ua: browsers, os: oses, dev: devices })
}

impl UserAgentRule {
    fn parser(&self) -> user_agent::Parser<'static> {
        user_agent::Parser {
            regex: Cow::Borrowed(self.regex),
            family_replacement: self.family_replacement.map(Cow::Borrowed),
            v1_replacement: self.v1_replacement.map(Cow::Borrowed),
            v2_replacement: self.v2_replacement.map(Cow::Borrowed),
            v3_replacement: self.v3_replacement.map(Cow::Borrowed),
            v4_replacement: self.v4_replacement.map(Cow::Borrowed),
        }
    }
}

impl OsRule {
    fn parser(&self) -> os::Parser<'static> {
        os::Parser {
            regex: Cow::Borrowed(self.regex),
            os_replacement: self.os_replacement.map(Cow::Borrowed),
            os_v1_replacement: self.os_v1_replacement.map(Cow::Borrowed),
            os_v2_replacement: self.os_v2_replacement.map(Cow::Borrowed),
            os_v3_replacement: self.os_v3_replacement.map(Cow::Borrowed),
            os_v4_replacement: self.os_v4_replacement.map(Cow::Borrowed),
        }
    }
}

impl DeviceRule {
    fn parser(&self) -> device::Parser<'static> {
        device::Parser {
            regex: Cow::Borrowed(self.regex),
            regex_flag: self.regex_flag.map(|_| device::Flag::IgnoreCase),
            device_replacement: self.device_replacement.map(Cow::Borrowed),
            brand_replacement: self.brand_replacement.map(Cow::Borrowed),
            model_replacement: self.model_replacement.map(Cow::Borrowed),
        }
    }
}
