//! Validation of one event: strings trimmed to their limits (and marked), PII
//! scrubbed, URLs sanitized, numbers range-checked and rounded (milliseconds to 0.1 ms,
//! CLS scores to 4 decimal places), lists capped. An event whose essential value is
//! unusable is dropped with a reason.

use sightline_protocol::limits::{
    CLS_DECIMALS, MAX_BYTES, MAX_CLS, MAX_DURATION_MS, MAX_LABEL_LEN, MAX_MESSAGE_LEN, MAX_NAME_LEN, MAX_SCRIPTS,
    MAX_SERVER_TIMINGS, MAX_STACK_LEN, MAX_TIMELINE_MS, MAX_URL_LEN, MAX_VALUE_LEN, MS_DECIMALS,
};
use sightline_protocol::{
    ActionEvent, AttributeValue, Attributes, CustomEvent, ErrorEvent, EventBody, LongAnimationFrameEvent,
    NavigationTiming, QualityFlags, RequestEvent, ResourceEvent, ScriptAttribution, ViewEvent, VitalAttribution,
    VitalEvent, VitalName,
};

use crate::cardinality::{CardinalityGuard, OTHER};
use crate::normalize::url::{QueryAllowlist, sanitize_url_with_base};
use crate::outcome::{Outcomes, Reason};
use crate::privacy::scrub::Scrubber;

/// Cleans the fields of events, recording what it changed.
#[derive(Debug)]
pub(crate) struct Cleaner<'a> {
    pub scrubber: &'a Scrubber,
    pub allowlist: &'a QueryAllowlist,
    pub guard: &'a CardinalityGuard,
    /// The page URL relative URLs are resolved against.
    pub base_url: &'a str,
    /// Flags of the event being cleaned.
    pub flags: QualityFlags,
    pub outcomes: &'a mut Outcomes,
}

impl Cleaner<'_> {
    /// Cleans an event body in place; `Err` means drop the event for that reason.
    pub fn body(&mut self, body: &mut EventBody) -> Result<(), Reason> {
        match body {
            EventBody::View(view) => self.view(view),
            EventBody::Vital(vital) => self.vital(vital),
            EventBody::Error(error) => self.error(error),
            EventBody::Request(request) => self.request(request),
            EventBody::Resource(resource) => self.resource(resource),
            EventBody::LongAnimationFrame(frame) => self.long_animation_frame(frame),
            EventBody::Action(action) => self.action(action),
            EventBody::Custom(custom) => self.custom(custom),
        }
    }

    fn view(&mut self, view: &mut ViewEvent) -> Result<(), Reason> {
        if let Some(timing) = &mut view.timing {
            self.navigation_timing(timing);
        }
        for size in [&mut view.transfer_size, &mut view.encoded_body_size, &mut view.decoded_body_size] {
            self.size(size);
        }
        self.cap_list(&mut view.server_timing, MAX_SERVER_TIMINGS);
        for entry in &mut view.server_timing {
            self.text(&mut entry.name, MAX_NAME_LEN);
            self.duration(&mut entry.duration);
            self.opt_text(&mut entry.description, MAX_VALUE_LEN);
        }
        Ok(())
    }

    fn navigation_timing(&mut self, timing: &mut NavigationTiming) {
        let NavigationTiming {
            redirect,
            dns,
            connect,
            tls,
            request,
            ttfb,
            response,
            dom_interactive,
            dom_content_loaded,
            load,
        } = timing;
        for phase in [redirect, dns, connect, tls, request, ttfb, response, dom_interactive, dom_content_loaded, load] {
            self.duration(phase);
        }
    }

    fn vital(&mut self, vital: &mut VitalEvent) -> Result<(), Reason> {
        if !vital.name.accepts(vital.value) {
            return Err(Reason::VitalOutOfRange);
        }
        // Rounded first, so the stored value and its rating agree.
        let decimals = if vital.name == VitalName::Cls { CLS_DECIMALS } else { MS_DECIMALS };
        vital.value = round_to(vital.value, decimals);
        vital.rating = Some(vital.name.rate(vital.value));
        if let Some(attribution) = &mut vital.attribution {
            self.vital_attribution(attribution);
        }
        Ok(())
    }

    fn vital_attribution(&mut self, attribution: &mut VitalAttribution) {
        for selector in
            [&mut attribution.element, &mut attribution.interaction_target, &mut attribution.largest_shift_target]
        {
            self.opt_free_text(selector, MAX_VALUE_LEN);
        }
        for label in [&mut attribution.interaction_type, &mut attribution.load_state] {
            self.opt_text(label, MAX_LABEL_LEN);
        }
        self.opt_url(&mut attribution.resource_url);
        for duration in [
            &mut attribution.time_to_first_byte,
            &mut attribution.resource_load_delay,
            &mut attribution.resource_load_duration,
            &mut attribution.element_render_delay,
            &mut attribution.first_byte_to_fcp,
            &mut attribution.input_delay,
            &mut attribution.processing_duration,
            &mut attribution.presentation_delay,
            &mut attribution.waiting_duration,
            &mut attribution.cache_duration,
            &mut attribution.dns_duration,
            &mut attribution.connection_duration,
            &mut attribution.request_duration,
        ] {
            self.duration(duration);
        }
        self.timeline(&mut attribution.interaction_time);
        self.timeline(&mut attribution.largest_shift_time);
        self.bounded(&mut attribution.largest_shift_value, MAX_CLS);
        round_opt(&mut attribution.largest_shift_value, CLS_DECIMALS);
        self.scripts(&mut attribution.scripts);
    }

    /// Capped, cleaned, and longest first as the protocol says (a client that sends them in
    /// another order gets them sorted, so that the first script of a stored list is its longest;
    /// ties keep their order, scripts without a duration come last).
    fn scripts(&mut self, scripts: &mut Vec<ScriptAttribution>) {
        self.cap_list(scripts, MAX_SCRIPTS);
        for script in scripts.iter_mut() {
            self.opt_url(&mut script.source_url);
            self.opt_text(&mut script.source_function_name, MAX_NAME_LEN);
            self.opt_free_text(&mut script.invoker, MAX_VALUE_LEN);
            self.opt_text(&mut script.invoker_type, MAX_LABEL_LEN);
            self.duration(&mut script.duration);
            self.duration(&mut script.forced_style_and_layout_duration);
        }
        scripts.sort_by(|a, b| b.duration.unwrap_or(-1.0).total_cmp(&a.duration.unwrap_or(-1.0)));
    }

    fn error(&mut self, error: &mut ErrorEvent) -> Result<(), Reason> {
        self.opt_text(&mut error.error_type, MAX_LABEL_LEN);
        self.free_text(&mut error.message, MAX_MESSAGE_LEN);
        self.opt_free_text(&mut error.stack, MAX_STACK_LEN);
        self.opt_url(&mut error.source_url);
        error.count = error.count.max(1);
        Ok(())
    }

    fn request(&mut self, request: &mut RequestEvent) -> Result<(), Reason> {
        required_duration(&mut request.duration)?;
        request.method.make_ascii_uppercase();
        if request.method.is_empty()
            || request.method.len() > 16
            || !request.method.bytes().all(|b| b.is_ascii_alphabetic())
        {
            request.method = "OTHER".into();
        }
        self.url(&mut request.url);
        self.timeline(&mut request.start);
        self.size(&mut request.request_size);
        self.size(&mut request.response_size);
        request.status = request.status.filter(|s| (100..600).contains(s));
        request.trace_id = request.trace_id.take().filter(|id| is_lower_hex(id, 32));
        request.span_id = request.span_id.take().filter(|id| is_lower_hex(id, 16));
        Ok(())
    }

    fn resource(&mut self, resource: &mut ResourceEvent) -> Result<(), Reason> {
        required_duration(&mut resource.duration)?;
        self.url(&mut resource.url);
        self.opt_text(&mut resource.initiator, MAX_LABEL_LEN);
        self.timeline(&mut resource.start);
        for phase in
            [&mut resource.dns, &mut resource.connect, &mut resource.tls, &mut resource.ttfb, &mut resource.download]
        {
            self.duration(phase);
        }
        for size in [&mut resource.transfer_size, &mut resource.encoded_body_size, &mut resource.decoded_body_size] {
            self.size(size);
        }
        Ok(())
    }

    fn long_animation_frame(&mut self, frame: &mut LongAnimationFrameEvent) -> Result<(), Reason> {
        required_duration(&mut frame.duration)?;
        self.timeline(&mut frame.start);
        self.duration(&mut frame.blocking_duration);
        self.scripts(&mut frame.scripts);
        Ok(())
    }

    fn action(&mut self, action: &mut ActionEvent) -> Result<(), Reason> {
        self.opt_free_text(&mut action.target, MAX_VALUE_LEN);
        self.opt_free_text(&mut action.selector, MAX_VALUE_LEN);
        self.opt_free_text(&mut action.name, MAX_NAME_LEN);
        action.count = action.count.max(1);
        Ok(())
    }

    fn custom(&mut self, custom: &mut CustomEvent) -> Result<(), Reason> {
        self.free_text(&mut custom.name, MAX_NAME_LEN);
        if !self.guard.event_names.admit(&custom.name) {
            custom.name = OTHER.into();
            self.fold(Reason::EventNameCardinality);
        }
        if custom.value.is_some_and(|v| !v.is_finite()) {
            custom.value = None;
            self.changed(QualityFlags::VALUE_REMOVED, Reason::NumberRemoved);
        }
        self.attributes(&mut custom.attributes);
        Ok(())
    }

    /// Trims keys and values, scrubs PII from keys and values, redacts the values of secret
    /// keys whatever their type, and applies the project's cap on distinct keys.
    pub fn attributes(&mut self, attributes: &mut Attributes) {
        if attributes.dropped > 0 {
            self.flags.set(QualityFlags::ATTRIBUTES_DROPPED);
            self.outcomes.add(Reason::AttributeDropped, u64::from(attributes.dropped));
            attributes.dropped = 0;
        }
        let mut kept: Vec<(String, AttributeValue)> = Vec::with_capacity(attributes.entries.len());
        for (mut key, mut value) in std::mem::take(&mut attributes.entries) {
            self.text(&mut key, MAX_NAME_LEN);
            if matches!(self.scrubber.scrub(&key), std::borrow::Cow::Owned(_)) {
                // A key holding an email or a card number: the whole attribute goes.
                self.changed(QualityFlags::SCRUBBED, Reason::PiiScrubbed);
                continue;
            }
            if kept.iter().any(|(k, _)| *k == key) {
                self.changed(QualityFlags::ATTRIBUTES_DROPPED, Reason::AttributeDropped);
                continue;
            }
            if !self.guard.attribute_keys.admit(&key) {
                self.flags.set(QualityFlags::CARDINALITY_FOLDED);
                self.outcomes.add(Reason::AttributeKeyCardinality, 1);
                continue;
            }
            self.attribute_value(&key, &mut value);
            kept.push((key, value));
        }
        attributes.entries = kept;
    }

    fn attribute_value(&mut self, key: &str, value: &mut AttributeValue) {
        if self.scrubber.is_secret_key(key) {
            if *value != AttributeValue::String(REDACTED.into()) {
                *value = AttributeValue::String(REDACTED.into());
                self.changed(QualityFlags::SCRUBBED, Reason::PiiScrubbed);
            }
            return;
        }
        match value {
            AttributeValue::String(text) => self.free_text(text, MAX_VALUE_LEN),
            // A long integer may be a card number sent as a number.
            AttributeValue::Number(number) if number.abs() >= 1e12 && number.fract() == 0.0 => {
                let digits = format!("{number:.0}");
                if let std::borrow::Cow::Owned(scrubbed) = self.scrubber.scrub(&digits) {
                    *value = AttributeValue::String(scrubbed);
                    self.changed(QualityFlags::SCRUBBED, Reason::PiiScrubbed);
                }
            }
            _ => {}
        }
    }

    /// Trims `text` to `limit` bytes.
    pub fn text(&mut self, text: &mut String, limit: usize) {
        if trim_to(text, limit) {
            self.changed(QualityFlags::TRIMMED, Reason::FieldTrimmed);
        }
    }

    /// Scrubs PII from `text`, then trims it.
    pub fn free_text(&mut self, text: &mut String, limit: usize) {
        if text.len() > limit * 4 {
            // Do not scan megabytes that will be thrown away; keep a margin for scrubbing to shrink.
            trim_to(text, limit * 4);
        }
        if let std::borrow::Cow::Owned(scrubbed) = self.scrubber.scrub(text) {
            *text = scrubbed;
            self.changed(QualityFlags::SCRUBBED, Reason::PiiScrubbed);
        }
        self.text(text, limit);
    }

    pub fn opt_text(&mut self, text: &mut Option<String>, limit: usize) {
        if let Some(text) = text {
            self.text(text, limit);
        }
    }

    pub fn opt_free_text(&mut self, text: &mut Option<String>, limit: usize) {
        if let Some(text) = text {
            self.free_text(text, limit);
        }
    }

    /// Reduces a URL to scheme, host, path and allow-listed query, resolved against the page;
    /// non-http(s) URLs keep only their scheme (`data:`, `blob:`), garbage becomes empty.
    pub fn url(&mut self, url: &mut String) {
        let cut = trim_to(url, MAX_URL_INPUT_LEN);
        let trimmed = match sanitize_url_with_base(url, self.base_url, self.allowlist) {
            Some(mut sanitized) => {
                if self.scrubber.scrub_url(&mut sanitized) {
                    self.changed(QualityFlags::SCRUBBED, Reason::PiiScrubbed);
                }
                *url = sanitized.url;
                trim_to(url, MAX_URL_LEN)
            }
            None => {
                let scheme = scheme_only(url);
                let shortened = scheme.len() < url.len();
                *url = scheme;
                shortened
            }
        };
        if cut || trimmed {
            self.changed(QualityFlags::TRIMMED, Reason::FieldTrimmed);
        }
    }

    fn opt_url(&mut self, url: &mut Option<String>) {
        if let Some(url) = url {
            self.url(url);
        }
    }

    /// Removes an optional duration that is negative, not finite, or over 10 minutes;
    /// rounds the others to 0.1 ms.
    fn duration(&mut self, value: &mut Option<f64>) {
        self.bounded(value, MAX_DURATION_MS);
        round_opt(value, MS_DECIMALS);
    }

    /// Removes an optional time on the document's timeline that is negative, not finite, or
    /// over 24 h; rounds the others to 0.1 ms.
    fn timeline(&mut self, value: &mut Option<f64>) {
        self.bounded(value, MAX_TIMELINE_MS);
        round_opt(value, MS_DECIMALS);
    }

    /// Removes an optional byte size that is negative, not finite, or over 4 GiB.
    fn size(&mut self, value: &mut Option<f64>) {
        self.bounded(value, MAX_BYTES);
    }

    fn bounded(&mut self, value: &mut Option<f64>, max: f64) {
        if value.is_some_and(|v| !(v.is_finite() && (0.0..=max).contains(&v))) {
            *value = None;
            self.changed(QualityFlags::VALUE_REMOVED, Reason::NumberRemoved);
        }
    }

    fn cap_list<T>(&mut self, list: &mut Vec<T>, cap: usize) {
        if list.len() > cap {
            // Parsing already skipped what was past `cap + 1`: count the list, not its items.
            self.outcomes.add(Reason::ListTrimmed, 1);
            self.flags.set(QualityFlags::TRIMMED);
            list.truncate(cap);
        }
    }

    fn fold(&mut self, reason: Reason) {
        self.changed(QualityFlags::CARDINALITY_FOLDED, reason);
    }

    fn changed(&mut self, flag: u32, reason: Reason) {
        self.flags.set(flag);
        self.outcomes.add(reason, 1);
    }
}

/// URLs are cut to this length before parsing (the parser refuses longer ones); what
/// survives sanitizing is then trimmed to the stored limit.
pub(crate) const MAX_URL_INPUT_LEN: usize = crate::normalize::url::MAX_URL_BYTES;

/// Checks a required duration (out of range drops the event) and rounds it to 0.1 ms.
fn required_duration(value: &mut f64) -> Result<(), Reason> {
    if !(value.is_finite() && (0.0..=MAX_DURATION_MS).contains(value)) {
        return Err(Reason::ValueOutOfRange);
    }
    *value = round_to(*value, MS_DECIMALS);
    Ok(())
}

/// `value` rounded to `decimals` decimal places (half away from zero). Values are checked
/// against their range first; rounding never takes one out of it, since the bounds are
/// round numbers.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

fn round_opt(value: &mut Option<f64>, decimals: i32) {
    if let Some(value) = value {
        *value = round_to(*value, decimals);
    }
}

/// Trims `text` to at most `limit` bytes at a character boundary; true when it was longer.
pub(crate) fn trim_to(text: &mut String, limit: usize) -> bool {
    if text.len() <= limit {
        return false;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && text.bytes().any(|b| b != b'0')
}

/// What a secret attribute value becomes.
const REDACTED: &str = "[redacted]";

/// `data:…` → `data:`; anything without a plain scheme → empty.
fn scheme_only(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme.len() <= 16
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') =>
        {
            format!("{}:", scheme.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
