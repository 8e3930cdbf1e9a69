//! Enrichment: who and where the client is, derived from the request and the
//! context, without keeping the IP address.

pub mod geo;
pub mod user_agent;

use std::net::IpAddr;

use sightline_protocol::{ConnectionInfo, GeoInfo, NetworkInfo};

use self::geo::GeoDatabase;
use self::user_agent::UserAgentParser;

/// The enrichment sources shared by every request.
#[derive(Debug, Default)]
pub struct Enricher {
    /// User agent parser (cached).
    pub user_agents: UserAgentParser,
    /// MaxMind-format database, when `geoip_db` is configured.
    pub geo: Option<GeoDatabase>,
}

impl Enricher {
    /// An enricher with the given geo database.
    pub fn new(geo: Option<GeoDatabase>) -> Self {
        Self { user_agents: UserAgentParser::new(), geo }
    }

    /// The location of the client: CDN headers (when the server trusts them) win,
    /// then the database. The address is only read here, never stored.
    pub fn locate(&self, ip: Option<IpAddr>, from_cdn: Option<GeoInfo>) -> GeoInfo {
        if let Some(geo) = from_cdn.filter(|g| g.country.is_some()) {
            return geo;
        }
        match (&self.geo, ip) {
            (Some(database), Some(ip)) => database.locate(ip),
            _ => GeoInfo::default(),
        }
    }
}

/// Network conditions from the agent's Network Information values; implausible numbers are dropped.
pub fn network_info(connection: Option<&ConnectionInfo>) -> NetworkInfo {
    let Some(connection) = connection else {
        return NetworkInfo { effective_type: "unknown".into(), ..NetworkInfo::default() };
    };
    let plausible = |value: Option<f64>, max: f64| value.filter(|v| v.is_finite() && (0.0..=max).contains(v));
    NetworkInfo {
        effective_type: connection.effective_type.map_or("unknown", |t| t.as_str()).to_owned(),
        connection_type: connection
            .connection_type
            .as_deref()
            .filter(|t| t.len() <= 16 && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
            .map(str::to_owned),
        rtt_ms: plausible(connection.rtt_ms, 60_000.0),
        downlink_mbps: plausible(connection.downlink_mbps, 100_000.0),
        save_data: connection.save_data,
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::EffectiveConnectionType;

    use super::*;

    #[test]
    fn network_info_keeps_plausible_values_only() {
        let info = network_info(Some(&ConnectionInfo {
            effective_type: Some(EffectiveConnectionType::Cellular3g),
            rtt_ms: Some(-1.0),
            downlink_mbps: Some(1.5),
            save_data: Some(true),
            connection_type: Some("<script>".into()),
        }));
        assert_eq!(info.effective_type, "3g");
        assert_eq!(info.rtt_ms, None);
        assert_eq!(info.downlink_mbps, Some(1.5));
        assert_eq!(info.connection_type, None);
        assert_eq!(network_info(None).effective_type, "unknown");
    }

    #[test]
    fn cdn_geo_wins_over_the_database() {
        let enricher = Enricher::default();
        let cdn = GeoInfo { country: Some("NG".into()), ..GeoInfo::default() };
        assert_eq!(enricher.locate(None, Some(cdn.clone())), cdn);
        assert_eq!(enricher.locate(None, None), GeoInfo::default());
    }
}
