//! The columns every kind's table starts with: the event's identity and time, its
//! page, and the beacon context (client, location, network, release, user, sampling).

use std::sync::Arc;

use sightline_protocol::{ConsentState, EventRecord, RecordContext};

use super::table::{attributes_json, columns};

/// One row of the common columns: the record and its context's attributes as JSON.
#[derive(Debug)]
pub(crate) struct CommonRow<'a> {
    pub record: &'a EventRecord,
    pub user_attributes: Option<&'a str>,
    pub attributes: Option<&'a str>,
}

/// The context's attributes serialized once for all the records that share it
/// (the records of one beacon arrive one after another).
#[derive(Debug, Default)]
pub(crate) struct ContextJson {
    context: Option<Arc<RecordContext>>,
    user_attributes: Option<String>,
    attributes: Option<String>,
}

impl ContextJson {
    /// The common row of `record`, serializing its context's attributes unless
    /// the previous record had the same context.
    pub(crate) fn row<'a>(&'a mut self, record: &'a EventRecord) -> CommonRow<'a> {
        let cached = self.context.as_ref().is_some_and(|context| Arc::ptr_eq(context, &record.context));
        if !cached {
            self.user_attributes = attributes_json(&record.context.user_attributes);
            self.attributes = attributes_json(&record.context.attributes);
            self.context = Some(Arc::clone(&record.context));
        }
        CommonRow { record, user_attributes: self.user_attributes.as_deref(), attributes: self.attributes.as_deref() }
    }
}

/// The wire name of a consent state.
pub(crate) fn consent_str(consent: ConsentState) -> &'static str {
    match consent {
        ConsentState::Granted => "granted",
        ConsentState::Denied => "denied",
        ConsentState::Pending => "pending",
        ConsentState::Unknown => "unknown",
    }
}

columns! {
    /// Builders of the common columns.
    pub(crate) struct CommonColumns<CommonRow<'_>> {
        /// The project the event belongs to.
        project: Text(not_null) = |row| row.record.context.project.as_str();
        /// Event id chosen by the agent; unique per project (the dedup key).
        event_id: Text(not_null) = |row| row.record.event_id.as_str();
        /// When the event happened (device time corrected for clock drift, clamped to the receive window).
        timestamp: Time(not_null) = |row| row.record.timestamp_ms;
        /// When the server received the beacon.
        received_at: Time(not_null) = |row| row.record.context.received_at_ms;
        /// Session id.
        session_id: Text(not_null) = |row| row.record.context.session_id.as_str();
        /// View id: the page load or SPA route the event belongs to.
        view_id: Text(not_null) = |row| row.record.view_id.as_str();
        /// Sanitized page URL: scheme, host, path and allow-listed query; no fragment.
        page_url: Text = |row| row.record.page.url.as_str();
        /// Page host, lower case (with the port when not the default).
        host: Text = |row| row.record.page.host.as_str();
        /// Page path.
        path: Text = |row| row.record.page.path.as_str();
        /// Page route: the path with ids collapsed (`/orders/:id`), or the view name.
        route: Text = |row| row.record.page.route.as_str();
        /// Host of the referrer.
        referrer_host: Text = |row| row.record.context.referrer_host.as_deref();
        /// Browser family, e.g. `Chrome`, `Mobile Safari`.
        browser: Text = |row| row.record.context.client.browser.as_str();
        /// Browser major version.
        browser_version: Text = |row| row.record.context.client.browser_version.as_str();
        /// OS family, e.g. `Android`, `Mac OS X`.
        os: Text = |row| row.record.context.client.os.as_str();
        /// OS version, `major` or `major.minor`.
        os_version: Text = |row| row.record.context.client.os_version.as_str();
        /// `desktop`, `mobile`, `tablet`, `bot` or `other`.
        device_class: Text = |row| row.record.context.client.device_class.as_str();
        /// Device model, e.g. `iPhone`, `Pixel 8`.
        device_model: Text = |row| row.record.context.client.device_model.as_deref();
        /// ISO 3166-1 alpha-2 country code, upper case.
        country: Text = |row| row.record.context.geo.country.as_deref();
        /// Region (subdivision) ISO code, e.g. `CA`.
        region: Text = |row| row.record.context.geo.region.as_deref();
        /// City name (English).
        city: Text = |row| row.record.context.geo.city.as_deref();
        /// Effective connection type: `slow-2g`, `2g`, `3g`, `4g` or `unknown`.
        effective_type: Text = |row| row.record.context.network.effective_type.as_str();
        /// Physical connection type, e.g. `wifi`, `cellular`.
        connection_type: Text = |row| row.record.context.network.connection_type.as_deref();
        /// Round-trip time estimate of the browser.
        rtt_ms: Float in "ms" = |row| row.record.context.network.rtt_ms;
        /// Downlink estimate of the browser.
        downlink_mbps: Float in "Mbit/s" = |row| row.record.context.network.downlink_mbps;
        /// Data saver on.
        save_data: Bool = |row| row.record.context.network.save_data;
        /// Application release.
        release: Text = |row| row.record.context.release.as_deref();
        /// Deployment environment.
        environment: Text = |row| row.record.context.environment.as_deref();
        /// Application user id.
        user_id: Text = |row| row.record.context.user_id.as_deref();
        /// User attributes, a JSON object of strings, numbers and booleans.
        user_attributes: Json = |row| row.user_attributes;
        /// Global context attributes, a JSON object of strings, numbers and booleans.
        attributes: Json = |row| row.attributes;
        /// Consent state: `granted`, `pending` or `unknown`.
        consent: Text = |row| row.record.context.consent.map(consent_str);
        /// Session sample rate in (0, 1]; weight a sampled row by its inverse.
        sample_rate: Float(not_null) = |row| row.record.context.sample_rate;
        /// Why the session was kept: `sampled`, `kept_for_error`, `kept_for_poor_vital` or `other`.
        sampling_reason: Text = |row| row.record.context.sampling_reason.as_str();
        /// Viewport width.
        viewport_width: UInt in "CSS px" = |row| row.record.context.viewport_width;
        /// Viewport height.
        viewport_height: UInt in "CSS px" = |row| row.record.context.viewport_height;
        /// Device memory (`navigator.deviceMemory`).
        device_memory_gb: Float in "GiB" = |row| row.record.context.device_memory_gb;
        /// Logical processor cores.
        device_cores: UInt = |row| row.record.context.device_cores;
        /// Agent name, e.g. `sightline-browser`.
        agent_name: Text = |row| row.record.context.agent_name.as_str();
        /// Agent version.
        agent_version: Text = |row| row.record.context.agent_version.as_str();
        /// What the intake changed about the event, bit flags: 1 trimmed, 2 timestamp_clamped, 4 attributes_dropped, 8 cardinality_folded, 16 scrubbed, 32 value_removed, 64 clock_corrected.
        quality: UInt(not_null) = |row| row.record.quality.0;
    }
}
