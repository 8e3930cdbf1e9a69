//! The columns of each kind, after the common ones.
//!
//! A column is named like its field on the wire (docs/protocol.md); the fields of
//! nested objects (a view's `timing`, a vital's `attribution`) are flattened to
//! their own names, which are unique within their table. Lists of objects are JSON.

use sightline_protocol::{
    ActionEvent, CustomEvent, ErrorEvent, LongAnimationFrameEvent, RequestApi, RequestEvent, RequestFailure,
    ResourceEvent, ViewEvent, VitalEvent,
};

use super::table::columns;

/// The wire name of a request API.
pub(crate) fn api_str(api: RequestApi) -> &'static str {
    match api {
        RequestApi::Fetch => "fetch",
        RequestApi::Xhr => "xhr",
        RequestApi::Other => "other",
    }
}

/// The wire name of a request failure.
pub(crate) fn failure_str(failure: RequestFailure) -> &'static str {
    match failure {
        RequestFailure::Network => "network",
        RequestFailure::Aborted => "aborted",
        RequestFailure::Timeout => "timeout",
        RequestFailure::Other => "other",
    }
}

columns! {
    /// Columns of `view` events.
    pub(crate) struct ViewColumns<ViewEvent> {
        /// How the view started: `navigate`, `reload`, `back_forward`, `back_forward_cache`, `prerender`, `restore`, `route_change`, `soft_navigation` or `other`.
        navigation_type: Text = |view| view.navigation_type.as_str();
        /// Redirects (`timing.redirect`).
        redirect: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.redirect);
        /// DNS lookup (`timing.dns`).
        dns: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.dns);
        /// TCP and TLS connection (`timing.connect`).
        connect: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.connect);
        /// TLS handshake (`timing.tls`).
        tls: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.tls);
        /// Request sent until first byte (`timing.request`).
        request: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.request);
        /// Time to first byte since navigation start (`timing.ttfb`).
        ttfb: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.ttfb);
        /// Document download (`timing.response`).
        response: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.response);
        /// `domInteractive`, since navigation start (`timing.dom_interactive`).
        dom_interactive: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.dom_interactive);
        /// `domContentLoadedEventEnd`, since navigation start (`timing.dom_content_loaded`).
        dom_content_loaded: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.dom_content_loaded);
        /// `loadEventEnd`, since navigation start (`timing.load`).
        load: Float in "ms" = |view| view.timing.as_ref().and_then(|timing| timing.load);
        /// Bytes transferred for the document, headers included.
        transfer_size: Float in "bytes" = |view| view.transfer_size;
        /// Compressed document body size.
        encoded_body_size: Float in "bytes" = |view| view.encoded_body_size;
        /// Uncompressed document body size.
        decoded_body_size: Float in "bytes" = |view| view.decoded_body_size;
        /// `Server-Timing` entries: a JSON array of `{"name", "duration" (ms), "description"}`.
        server_timing: Json = |view| view.server_timing.as_slice();
    }
}

columns! {
    /// Columns of `vital` events.
    pub(crate) struct VitalColumns<VitalEvent> {
        /// Which vital: `lcp`, `inp`, `cls`, `fcp` or `ttfb`.
        name: Text = |vital| vital.name.as_str();
        /// The value: ms, except CLS (a unitless score).
        value: Float in "ms (CLS: score)" = |vital| vital.value;
        /// Rating by the Core Web Vitals thresholds: `good`, `needs_improvement` or `poor`.
        rating: Text = |vital| vital.rating.map(|rating| rating.as_str());
        /// LCP: the LCP element (CSS selector).
        element: Text = |vital| vital.attribution.as_ref().and_then(|a| a.element.as_deref());
        /// LCP: URL of the LCP resource.
        resource_url: Text = |vital| vital.attribution.as_ref().and_then(|a| a.resource_url.as_deref());
        /// LCP, FCP: time to first byte.
        time_to_first_byte: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.time_to_first_byte);
        /// LCP: resource load delay.
        resource_load_delay: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.resource_load_delay);
        /// LCP: resource load duration.
        resource_load_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.resource_load_duration);
        /// LCP: element render delay.
        element_render_delay: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.element_render_delay);
        /// FCP: first byte to FCP.
        first_byte_to_fcp: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.first_byte_to_fcp);
        /// INP: the interaction target (CSS selector).
        interaction_target: Text = |vital| vital.attribution.as_ref().and_then(|a| a.interaction_target.as_deref());
        /// INP: `pointer` or `keyboard`.
        interaction_type: Text = |vital| vital.attribution.as_ref().and_then(|a| a.interaction_type.as_deref());
        /// INP: when the interaction happened, since navigation start.
        interaction_time: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.interaction_time);
        /// INP: input delay.
        input_delay: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.input_delay);
        /// INP: processing duration.
        processing_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.processing_duration);
        /// INP: presentation delay.
        presentation_delay: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.presentation_delay);
        /// INP, CLS: document load state (`loading`, `dom-interactive`, `dom-content-loaded`, `complete`).
        load_state: Text = |vital| vital.attribution.as_ref().and_then(|a| a.load_state.as_deref());
        /// INP: scripts of the long animation frames overlapping the interaction, a JSON array like the `scripts` of `long_animation_frame`.
        scripts: Json = |vital| vital.attribution.as_ref().map_or(&[][..], |a| a.scripts.as_slice());
        /// CLS: the element of the largest shift (CSS selector).
        largest_shift_target: Text = |vital| vital.attribution.as_ref().and_then(|a| a.largest_shift_target.as_deref());
        /// CLS: the score of the largest shift.
        largest_shift_value: Float in "score" = |vital| vital.attribution.as_ref().and_then(|a| a.largest_shift_value);
        /// CLS: when the largest shift happened, since navigation start.
        largest_shift_time: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.largest_shift_time);
        /// TTFB: waiting (redirects, service worker start).
        waiting_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.waiting_duration);
        /// TTFB: HTTP cache lookup.
        cache_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.cache_duration);
        /// TTFB: DNS lookup.
        dns_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.dns_duration);
        /// TTFB: TCP and TLS connection.
        connection_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.connection_duration);
        /// TTFB: request until first byte.
        request_duration: Float in "ms" = |vital| vital.attribution.as_ref().and_then(|a| a.request_duration);
    }
}

columns! {
    /// Columns of `error` events.
    pub(crate) struct ErrorColumns<ErrorEvent> {
        /// Error class, e.g. `TypeError`.
        error_type: Text = |error| error.error_type.as_deref();
        /// The message, scrubbed.
        message: Text = |error| error.message.as_str();
        /// The stack trace as the browser printed it.
        stack: Text = |error| error.stack.as_deref();
        /// Where it came from: `unhandled`, `promise`, `console`, `resource`, `network`, `csp`, `custom` or `other`.
        source: Text = |error| error.source.as_str();
        /// True when the application caught and reported it.
        handled: Bool = |error| error.handled;
        /// Script URL of the throwing frame, or the failing resource's URL.
        source_url: Text = |error| error.source_url.as_deref();
        /// Line of the throwing frame.
        line: UInt = |error| error.line;
        /// Column of the throwing frame.
        column: UInt = |error| error.column;
        /// Identical errors the agent folded into this one (≥ 1).
        count: UInt = |error| error.count;
    }
}

columns! {
    /// Columns of `request` events.
    pub(crate) struct RequestColumns<RequestEvent> {
        /// `fetch`, `xhr` or `other`.
        api: Text = |request| api_str(request.api);
        /// HTTP method, upper case.
        method: Text = |request| request.method.as_str();
        /// Request URL (query string dropped except allow-listed parameters).
        url: Text = |request| request.url.as_str();
        /// HTTP status; null or 0 when the request failed before a response.
        status: UInt = |request| request.status.map(u32::from);
        /// When the request started, since navigation start.
        start: Float in "ms" = |request| request.start;
        /// Until the response finished or the request failed.
        duration: Float in "ms" = |request| request.duration;
        /// Request body size.
        request_size: Float in "bytes" = |request| request.request_size;
        /// Response body size.
        response_size: Float in "bytes" = |request| request.response_size;
        /// How it failed: `network`, `aborted`, `timeout` or `other`; null when it did not.
        failure: Text = |request| request.failure.map(failure_str);
        /// W3C trace id (32 lowercase hex) of the injected `traceparent`.
        trace_id: Text = |request| request.trace_id.as_deref();
        /// W3C parent span id (16 lowercase hex) of the injected `traceparent`.
        span_id: Text = |request| request.span_id.as_deref();
    }
}

columns! {
    /// Columns of `resource` events.
    pub(crate) struct ResourceColumns<ResourceEvent> {
        /// Resource URL (query string dropped except allow-listed parameters).
        url: Text = |resource| resource.url.as_str();
        /// `initiatorType`: `script`, `link`, `img`, `css`, `fetch`…
        initiator: Text = |resource| resource.initiator.as_deref();
        /// When it started, since navigation start.
        start: Float in "ms" = |resource| resource.start;
        /// Total duration.
        duration: Float in "ms" = |resource| resource.duration;
        /// DNS lookup.
        dns: Float in "ms" = |resource| resource.dns;
        /// TCP and TLS connection.
        connect: Float in "ms" = |resource| resource.connect;
        /// TLS handshake.
        tls: Float in "ms" = |resource| resource.tls;
        /// Request sent until first byte.
        ttfb: Float in "ms" = |resource| resource.ttfb;
        /// Download.
        download: Float in "ms" = |resource| resource.download;
        /// Bytes over the wire, 0 for a cache hit.
        transfer_size: Float in "bytes" = |resource| resource.transfer_size;
        /// Compressed body size.
        encoded_body_size: Float in "bytes" = |resource| resource.encoded_body_size;
        /// Uncompressed body size.
        decoded_body_size: Float in "bytes" = |resource| resource.decoded_body_size;
        /// It blocked rendering.
        render_blocking: Bool = |resource| resource.render_blocking;
        /// Served from another site than the page.
        third_party: Bool = |resource| resource.third_party;
    }
}

columns! {
    /// Columns of `long_animation_frame` events.
    pub(crate) struct LongAnimationFrameColumns<LongAnimationFrameEvent> {
        /// When the frame started, since navigation start.
        start: Float in "ms" = |frame| frame.start;
        /// Frame duration.
        duration: Float in "ms" = |frame| frame.duration;
        /// Time over 50 ms not yielding to input.
        blocking_duration: Float in "ms" = |frame| frame.blocking_duration;
        /// True when measured with the Long Tasks API (no script attribution).
        long_task_fallback: Bool = |frame| frame.long_task_fallback;
        /// Scripts that ran in the frame, longest first: a JSON array of `{"source_url", "source_function_name", "invoker", "invoker_type", "duration" (ms), "forced_style_and_layout_duration" (ms)}`.
        scripts: Json = |frame| frame.scripts.as_slice();
    }
}

columns! {
    /// Columns of `action` events.
    pub(crate) struct ActionColumns<ActionEvent> {
        /// `click`, `tap`, `keypress`, `custom` or `other`.
        action_type: Text = |action| action.action_type.as_str();
        /// Readable target name (aria-label, text, id), masked where privacy requires.
        target: Text = |action| action.target.as_deref();
        /// CSS selector of the target element.
        selector: Text = |action| action.selector.as_deref();
        /// Name of a custom action.
        name: Text = |action| action.name.as_deref();
        /// Rage click: ≥ 3 clicks within 1 s in a small area.
        rage: Bool = |action| action.rage;
        /// Dead click: nothing happened within about 1 s.
        dead: Bool = |action| action.dead;
        /// An error followed within 1 s.
        error: Bool = |action| action.error;
        /// Clicks folded into this action (≥ 1).
        count: UInt = |action| action.count;
    }
}

columns! {
    /// Columns of `custom` events.
    pub(crate) struct CustomColumns<CustomEvent> {
        /// Event name.
        name: Text = |custom| custom.name.as_str();
        /// Optional numeric value, e.g. a duration in ms for a User Timing measure.
        value: Float = |custom| custom.value;
        /// The event's own attributes (`attributes` on the wire), a JSON object of strings, numbers and booleans.
        event_attributes: Json = |custom| &custom.attributes;
    }
}
