//! The pipeline: one decompressed beacon in, clean records and outcomes out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use sightline_protocol::{
    ConsentState, Event, EventBody, EventParseError, EventRecord, PageLocation, QualityFlags, VitalName,
};

use crate::cardinality::CardinalityGuard;
use crate::context::{CheckedContext, EventParts, RequestMeta, SharedContext, locate_page, route_page, valid_id};
use crate::decode::parse_envelope;
use crate::enrich::Enricher;
use crate::error::{IngestError, Rejection};
use crate::normalize::route::RouteNormalizer;
use crate::normalize::url::QueryAllowlist;
use crate::outcome::{Outcomes, Reason};
use crate::privacy::scrub::Scrubber;
use crate::project::ProjectConfig;
use crate::validate::Cleaner;

/// A project ready for intake: its settings plus compiled routes and its cardinality guard.
#[derive(Debug)]
pub struct Project {
    /// The settings.
    pub config: ProjectConfig,
    pub(crate) routes: RouteNormalizer,
    pub(crate) allowlist: QueryAllowlist,
    /// Shared with the project that replaces this one when its caps stay ([`Project::renewed`]).
    pub(crate) guard: Arc<CardinalityGuard>,
}

impl Project {
    /// Validates and compiles a project's settings.
    pub fn new(config: ProjectConfig) -> Result<Self, IngestError> {
        let guard = CardinalityGuard::new(config.max_routes, config.max_event_names, config.max_attribute_keys);
        Self::compile(config, Arc::new(guard))
    }

    /// `config` compiled to replace this project's settings while beacons arrive (a change
    /// from the dashboard). The cardinality guard is kept when its caps stay the same: the
    /// routes, event names and attribute keys seen so far keep their places, and newcomers
    /// over a cap are still folded, as if nothing had been restarted.
    pub fn renewed(&self, config: ProjectConfig) -> Result<Self, IngestError> {
        let (old, new) = (&self.config, &config);
        let same_caps = (old.max_routes, old.max_event_names, old.max_attribute_keys)
            == (new.max_routes, new.max_event_names, new.max_attribute_keys);
        if !same_caps {
            return Self::new(config);
        }
        Self::compile(config, Arc::clone(&self.guard))
    }

    fn compile(config: ProjectConfig, guard: Arc<CardinalityGuard>) -> Result<Self, IngestError> {
        config.validate().map_err(IngestError::Config)?;
        let routes = RouteNormalizer::new(&config.route_patterns)?;
        let allowlist = QueryAllowlist { entries: config.query_allowlist.clone() };
        Ok(Self { config, routes, allowlist, guard })
    }
}

/// What the pipeline made of one beacon.
#[derive(Debug, Default)]
pub struct ProcessedBatch {
    /// Clean records to store.
    pub records: Vec<EventRecord>,
    /// Everything dropped, trimmed or folded, by reason.
    pub outcomes: Outcomes,
}

/// The stages shared by every project: enrichment sources and the scrubber.
#[derive(Debug, Default)]
pub struct Pipeline {
    enricher: Enricher,
    scrubber: Scrubber,
}

impl Pipeline {
    /// A pipeline with the given enrichment sources.
    pub fn new(enricher: Enricher) -> Self {
        Self { enricher, scrubber: Scrubber::new() }
    }

    /// Turns one decompressed beacon body into records. `Err` refuses the whole beacon.
    pub fn process(
        &self,
        project: &Project,
        request: &RequestMeta<'_>,
        body: &[u8],
    ) -> Result<ProcessedBatch, Rejection> {
        let envelope = parse_envelope(body)?;
        let mut parse_outcomes = Outcomes::default();
        parse_outcomes.add(Reason::TooManyEvents, u64::from(envelope.events.over_cap));
        let mut outcomes = parse_outcomes.clone();
        let event_count = envelope.events.kept.len() as u64;

        let mut cleaner = self.cleaner(project, "", &mut outcomes);
        let checked = CheckedContext::check(envelope.context, project, &mut cleaner)?;
        let parsed = self.enricher.user_agents.parse(
            request.user_agent,
            checked.context.client_hints.as_ref(),
            request.hint_headers,
        );
        if let Some(reason) = drop_reason(project, request, &checked, parsed.is_bot) {
            // Only parsing and the drop itself count: what checking the context changed is moot.
            parse_outcomes.add(reason, event_count);
            return Ok(ProcessedBatch { records: Vec::new(), outcomes: parse_outcomes });
        }
        let geo = self.enricher.locate(request.client_ip, request.cdn_geo.cloned());
        let shared = SharedContext::build(
            checked,
            envelope.sent_at,
            request.received_at_ms,
            parsed.client,
            geo,
            project,
            &mut cleaner,
        );

        let mut batch = BatchState::default();
        let mut records = Vec::with_capacity(envelope.events.kept.len());
        for raw in &envelope.events.kept {
            let event = match parse_event(raw.get()) {
                Ok(event) => event,
                Err(reason) => {
                    outcomes.add(reason, 1);
                    continue;
                }
            };
            let mut cleaner = self.cleaner(project, &shared.page.url, &mut outcomes);
            match clean_event(event, &shared, project, &mut batch, &mut cleaner) {
                Ok(record) => records.push(record),
                Err(reason) => outcomes.add(reason, 1),
            }
        }
        Ok(ProcessedBatch { records, outcomes })
    }

    fn cleaner<'a>(&'a self, project: &'a Project, base_url: &'a str, outcomes: &'a mut Outcomes) -> Cleaner<'a> {
        Cleaner {
            scrubber: &self.scrubber,
            allowlist: &project.allowlist,
            guard: &project.guard,
            base_url,
            flags: QualityFlags::default(),
            outcomes,
        }
    }
}

/// Whole-beacon policies, decided before anything counts against the project's caps.
fn drop_reason(project: &Project, request: &RequestMeta<'_>, checked: &CheckedContext, is_bot: bool) -> Option<Reason> {
    if checked.context.consent == Some(ConsentState::Denied) {
        Some(Reason::ConsentDenied)
    } else if request.do_not_track && project.config.honor_do_not_track {
        Some(Reason::DoNotTrack)
    } else if is_bot && project.config.drop_bots {
        Some(Reason::Bot)
    } else if !session_is_sampled(&checked.session_id, project.config.sample_rate) {
        Some(Reason::SampledOut)
    } else {
        None
    }
}

/// What one beacon has seen so far: event ids per view, vitals per view, page locations.
/// At most 500 entries each, hashed with foldhash (randomly seeded, several times faster
/// than SipHash).
#[derive(Debug, Default)]
struct BatchState {
    /// (view id, event id): an id is unique within its view only (agents count per view).
    event_ids: HashSet<(String, String), RandomState>,
    vitals: HashSet<(String, VitalName), RandomState>,
    pages: HashMap<(String, Option<String>), Option<Arc<PageLocation>>, RandomState>,
}

/// Parses one raw event; an unknown kind, a missing id and a malformed event are told apart.
fn parse_event(raw: &str) -> Result<Event, Reason> {
    sightline_protocol::parse_event(raw).map_err(|error| match error {
        EventParseError::UnknownKind => Reason::UnknownEventKind,
        EventParseError::MissingId => Reason::MissingEventId,
        EventParseError::Invalid => Reason::InvalidEvent,
    })
}

fn clean_event(
    event: Event,
    shared: &SharedContext,
    project: &Project,
    batch: &mut BatchState,
    cleaner: &mut Cleaner<'_>,
) -> Result<EventRecord, Reason> {
    let Event { id, t, ts, view_id, view_url, view_name, mut body } = event;
    let id = valid_id(id).ok_or(Reason::InvalidEvent)?;
    let view_id = match view_id {
        Some(view_id) => Some(valid_id(view_id).ok_or(Reason::InvalidEvent)?).filter(|v| *v != shared.view_id),
        None => None,
    };
    let view = view_id.as_deref().unwrap_or(&shared.view_id);
    let key = (view.to_owned(), id);
    if batch.event_ids.contains(&key) {
        return Err(Reason::DuplicateEventId);
    }
    if let EventBody::Vital(vital) = &body {
        // Range first: an invalid value must not take the place of a valid one.
        if !vital.name.accepts(vital.value) {
            return Err(Reason::VitalOutOfRange);
        }
        if !batch.vitals.insert((view.to_owned(), vital.name)) {
            return Err(Reason::DuplicateVital);
        }
    }
    cleaner.body(&mut body)?;
    let page = match (view_url, view_name) {
        (None, None) => None,
        (url, name) => {
            let key = (url.unwrap_or_else(|| shared.page.url.clone()), name);
            match batch.pages.get(&key) {
                Some(page) => page.clone(),
                None => {
                    let page = locate_page(project, &key.0, cleaner)
                        .filter(|page| project.config.allows_host(&page.host))
                        .map(|page| Arc::new(route_page(project, page, key.1.clone(), cleaner)));
                    batch.pages.insert(key, page.clone());
                    page
                }
            }
        }
    };
    let time = shared.clock.event_time(t, ts);
    if time.clamped {
        cleaner.flags.set(QualityFlags::TIMESTAMP_CLAMPED);
        cleaner.outcomes.add(Reason::TimestampClamped, 1);
    }
    if time.corrected {
        cleaner.flags.set(QualityFlags::CLOCK_CORRECTED);
    }
    let event_id = key.1.clone();
    batch.event_ids.insert(key);
    let parts = EventParts { event_id, timestamp_ms: time.timestamp_ms, view_id, page, quality: cleaner.flags, body };
    Ok(shared.record(parts))
}

/// Server-side sampling: a stable hash of the session id decides, so a session is kept whole or not at all.
fn session_is_sampled(session_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    // FNV-1a, stable across processes and versions unlike the std hasher, then a
    // 64-bit finalizer so ids differing only in their last characters spread evenly.
    let mut hash = session_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    (hash as f64 / u64::MAX as f64) < rate
}

#[cfg(test)]
mod tests;
