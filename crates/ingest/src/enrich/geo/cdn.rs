//! Location from the geo headers a CDN adds to the requests it forwards.
//!
//! These headers are only as trustworthy as the path the request took: a client that
//! reaches the server directly can send `CF-IPCountry: KP` itself, and a CDN passes on the
//! headers of other CDNs untouched. So the server reads them only when the operator turns
//! `trust_cdn_headers` on (off by default), which should mean "every request comes through
//! my CDN", ideally with the lists below trimmed to that CDN's own headers. Even then each
//! value is validated like any other hostile input.

use serde::{Deserialize, Serialize};
use sightline_protocol::GeoInfo;

use super::fields;
use crate::IngestError;

/// Most header names accepted per field: each one is looked up on every request.
const MAX_NAMES_PER_FIELD: usize = 16;

/// Longest header name accepted in the configuration.
const MAX_NAME_LEN: usize = 64;

/// Which request headers carry the visitor's location, per field, in order of preference.
/// A field left out of the configuration keeps its default list; `[]` reads nothing.
///
/// For each field the first header *present* on the request decides, even when its value is
/// invalid (then the field is unknown): a later header cannot override what an earlier,
/// presumably more trusted, one said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdnGeoHeaders {
    /// Headers holding an ISO 3166-1 alpha-2 country code.
    pub country: Vec<String>,
    /// Headers holding an ISO 3166-2 subdivision code (without the country prefix).
    pub region: Vec<String>,
    /// Headers holding a city name, plain or percent-encoded.
    pub city: Vec<String>,
}

impl Default for CdnGeoHeaders {
    /// The headers of Cloudflare (`CF-IPCountry`; region and city need its "Add visitor
    /// location headers" managed transform), Amazon CloudFront and Vercel.
    fn default() -> Self {
        let names = |list: &[&str]| list.iter().map(|name| (*name).to_owned()).collect();
        Self {
            country: names(&["CF-IPCountry", "CloudFront-Viewer-Country", "X-Vercel-IP-Country"]),
            region: names(&["CF-Region-Code", "CloudFront-Viewer-Country-Region", "X-Vercel-IP-Country-Region"]),
            city: names(&["CF-IPCity", "CloudFront-Viewer-City", "X-Vercel-IP-City"]),
        }
    }
}

impl CdnGeoHeaders {
    /// Checks that every configured name is a valid HTTP header name and that no list is
    /// absurdly long; the error names the offending entry.
    pub fn validate(&self) -> Result<(), IngestError> {
        let fields = [("country", &self.country), ("region", &self.region), ("city", &self.city)];
        for (field, names) in fields {
            if names.len() > MAX_NAMES_PER_FIELD {
                return Err(IngestError::Config(format!(
                    "cdn_geo_headers.{field} lists {} headers — keep at most {MAX_NAMES_PER_FIELD}, \
                     the ones your CDN actually sends",
                    names.len()
                )));
            }
            if let Some((index, name)) = names.iter().enumerate().find(|(_, n)| !is_header_name(n)) {
                return Err(IngestError::Config(format!(
                    "cdn_geo_headers.{field}[{index}] {name:?} is not a valid HTTP header name \
                     (letters, digits and -_. only, at most {MAX_NAME_LEN} characters)"
                )));
            }
        }
        Ok(())
    }

    /// The location the CDN reported, or `None` when no field is known.
    ///
    /// `header` returns the value of a request header by name (case-insensitively, as
    /// `http::HeaderMap::get` does), or `None` when it is absent or not valid text.
    /// Country and region are validated and upper-cased; city names are percent-decoded
    /// and must be printable UTF-8 of at most 128 bytes. The CDNs' "unknown" countries
    /// (`XX`, and Cloudflare's `T1` for Tor) count as unknown.
    pub fn locate<'h>(&self, header: impl Fn(&str) -> Option<&'h str>) -> Option<GeoInfo> {
        let geo = GeoInfo {
            country: first_present(&self.country, &header).and_then(fields::country_code),
            region: first_present(&self.region, &header).and_then(fields::region_code),
            city: first_present(&self.city, &header)
                .and_then(fields::percent_decode)
                .and_then(|decoded| fields::city_name(&decoded)),
        };
        (geo != GeoInfo::default()).then_some(geo)
    }
}

/// The value of the first header in `names` that the request carries.
fn first_present<'h>(names: &[String], header: impl Fn(&str) -> Option<&'h str>) -> Option<&'h str> {
    names.iter().find_map(|name| header(name))
}

/// An RFC 9110 token short enough to be a real header name (we accept the common subset:
/// ASCII letters, digits, `-`, `_` and `.`).
fn is_header_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A case-insensitive header map, like the server's.
    fn request(headers: &[(&str, &str)]) -> HashMap<String, String> {
        headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), (*value).to_owned())).collect()
    }

    fn locate(headers: &[(&str, &str)]) -> Option<GeoInfo> {
        let request = request(headers);
        CdnGeoHeaders::default().locate(|name| request.get(&name.to_ascii_lowercase()).map(String::as_str))
    }

    fn geo(country: Option<&str>, region: Option<&str>, city: Option<&str>) -> Option<GeoInfo> {
        Some(GeoInfo {
            country: country.map(str::to_owned),
            region: region.map(str::to_owned),
            city: city.map(str::to_owned),
        })
    }

    #[test]
    fn cloudflare_country_and_visitor_location_headers() {
        assert_eq!(locate(&[("cf-ipcountry", "DE")]), geo(Some("DE"), None, None));
        let headers = [("cf-ipcountry", "DE"), ("cf-region-code", "BY"), ("cf-ipcity", "München")];
        assert_eq!(locate(&headers), geo(Some("DE"), Some("BY"), Some("München")));
    }

    #[test]
    fn cloudfront_country_region_and_city() {
        let headers = [
            ("CloudFront-Viewer-Country", "US"),
            ("CloudFront-Viewer-Country-Region", "WA"),
            ("CloudFront-Viewer-City", "Seattle"),
        ];
        assert_eq!(locate(&headers), geo(Some("US"), Some("WA"), Some("Seattle")));
    }

    #[test]
    fn vercel_city_is_percent_decoded() {
        let headers = [
            ("x-vercel-ip-country", "br"),
            ("x-vercel-ip-country-region", "sp"),
            ("x-vercel-ip-city", "S%C3%A3o%20Paulo"),
        ];
        assert_eq!(locate(&headers), geo(Some("BR"), Some("SP"), Some("São Paulo")));
    }

    #[test]
    fn no_headers_means_no_location() {
        assert_eq!(locate(&[]), None);
        assert_eq!(locate(&[("user-agent", "curl")]), None);
    }

    #[test]
    fn unknown_and_tor_countries_are_unknown() {
        assert_eq!(locate(&[("cf-ipcountry", "XX")]), None);
        assert_eq!(locate(&[("cf-ipcountry", "T1")]), None);
    }

    #[test]
    fn hostile_values_are_dropped_field_by_field() {
        let headers = [
            ("cf-ipcountry", "<script>"),
            ("cloudfront-viewer-country-region", "CA"),
            ("x-vercel-ip-city", "%3Cimg%0Aonerror%3D1%3E"),
        ];
        assert_eq!(locate(&headers), geo(None, Some("CA"), None));
        let long_city = "a".repeat(129);
        assert_eq!(locate(&[("cloudfront-viewer-city", &long_city)]), None);
        assert_eq!(locate(&[("x-vercel-ip-city", "%FF")]), None, "not UTF-8 once decoded");
        assert_eq!(locate(&[("x-vercel-ip-city", "%2")]), None, "broken escape");
    }

    #[test]
    fn the_first_present_header_decides_even_when_invalid() {
        // Behind Cloudflare, a client can still add a CloudFront header of its own.
        let headers = [("cf-ipcountry", "XX"), ("cloudfront-viewer-country", "KP")];
        assert_eq!(locate(&headers), None);
        let headers = [("cf-ipcountry", "FR"), ("cloudfront-viewer-country", "KP")];
        assert_eq!(locate(&headers), geo(Some("FR"), None, None));
    }

    #[test]
    fn a_configured_list_replaces_its_default_and_the_others_stay() {
        let config: CdnGeoHeaders =
            serde_json::from_str(r#"{"country": ["X-Geo-Country"], "city": []}"#).expect("valid");
        assert_eq!(config.region, CdnGeoHeaders::default().region);
        let request = request(&[
            ("x-geo-country", "JP"),
            ("cf-ipcountry", "FR"),
            ("x-vercel-ip-country-region", "13"),
            ("x-vercel-ip-city", "Tokyo"),
        ]);
        let located = config.locate(|name| request.get(&name.to_ascii_lowercase()).map(String::as_str));
        assert_eq!(located, geo(Some("JP"), Some("13"), None));
    }

    #[test]
    fn unknown_config_keys_are_rejected() {
        let error = serde_json::from_str::<CdnGeoHeaders>(r#"{"contry": ["X-Geo"]}"#).expect_err("typo must fail");
        assert!(error.to_string().contains("contry"), "{error}");
    }

    #[test]
    fn the_defaults_validate() {
        CdnGeoHeaders::default().validate().expect("defaults are valid");
        CdnGeoHeaders { country: vec![], region: vec![], city: vec![] }.validate().expect("empty is valid");
    }

    #[test]
    fn bad_header_names_are_reported_with_their_place() {
        let config = CdnGeoHeaders { city: vec!["X-City".into(), "X City".into()], ..Default::default() };
        let message = config.validate().expect_err("space is invalid").to_string();
        assert!(message.contains("cdn_geo_headers.city[1]"), "{message}");
        let config = CdnGeoHeaders { region: vec![String::new()], ..Default::default() };
        assert!(config.validate().is_err());
        let config = CdnGeoHeaders { country: vec!["X-A".into(); 17], ..Default::default() };
        assert!(config.validate().expect_err("too many").to_string().contains("at most 16"));
    }
}
