//! Privacy at the intake: personal data in URLs, messages and attributes never
//! reaches storage, and browsers that opt out (Do-Not-Track, GPC, denied
//! consent) are answered 202 with nothing stored.

use crate::support::{BLOG_KEY, Beacon, SHOP_KEY, ServerOptions, TestServer, event};
use serde_json::json;
use sightline_protocol::{AttributeValue, EventBody, QualityFlags};

const EMAIL: &str = "jane.doe@example.com";
const CARD: &str = "4111 1111 1111 1111";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

#[tokio::test]
async fn query_strings_keep_only_allow_listed_parameters() {
    let server = TestServer::start_default().await;
    let beacon = Beacon::on("https://shop.example.com/checkout?email=a@b.com&token=abc&utm_source=x#step-2")
        .with_event(event::request("https://shop.example.com/api/pay?card=4111111111111111&session=s3cr3t"));

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (1, 0));
    let record = server.record(&beacon.event_ids()[0]);
    assert_eq!(record.page.url, "https://shop.example.com/checkout?utm_source=x");
    let EventBody::Request(request) = &record.body else { panic!("expected a request") };
    assert_eq!(request.url, "https://shop.example.com/api/pay");
    let log = server.storage_text();
    for secret in ["a@b.com", "token=abc", "4111111111111111", "s3cr3t", "step-2"] {
        assert!(!log.contains(secret), "{secret:?} reached storage");
    }
}

#[tokio::test]
async fn emails_cards_and_tokens_are_scrubbed_from_messages_attributes_and_paths() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let error = event::error(&format!("Payment failed for {EMAIL} with card {CARD}: Authorization: Bearer {JWT}"));
    let mut tagged = event::custom("checkout");
    tagged["attributes"] =
        json!({ "contact": EMAIL, "note": format!("card {} declined", CARD.replace(' ', "")), "plan": "pro" });
    let profile = event::request(&format!("https://shop.example.com/users/{EMAIL}/orders"));
    let beacon = Beacon::new().with_events([error.clone(), tagged.clone(), profile.clone()]);

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (3, 0));
    let error = server.record(error["id"].as_str().expect("id"));
    let EventBody::Error(stored) = &error.body else { panic!("expected an error") };
    assert!(stored.message.contains("[email]") && stored.message.contains("[card]"), "{}", stored.message);
    assert!(error.quality.has(QualityFlags::SCRUBBED));
    let tagged = server.record(tagged["id"].as_str().expect("id"));
    let EventBody::Custom(custom) = &tagged.body else { panic!("expected a custom event") };
    assert_eq!(custom.attributes.get("contact"), Some(&AttributeValue::String("[email]".into())));
    assert_eq!(custom.attributes.get("plan"), Some(&AttributeValue::String("pro".into())), "harmless values kept");
    assert!(tagged.quality.has(QualityFlags::SCRUBBED));
    let profile = server.record(profile["id"].as_str().expect("id"));
    let EventBody::Request(request) = &profile.body else { panic!("expected a request") };
    assert!(!request.url.contains("jane.doe"), "email in a URL path: {}", request.url);
    let log = server.storage_text();
    for secret in [EMAIL, CARD, "4111111111111111", JWT, "jane.doe%40example.com"] {
        assert!(!log.contains(secret), "{secret:?} reached storage");
    }
    assert_eq!(server.outcome_count("shop", "pii_scrubbed").await, 4, "message, two attributes and the URL");
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn secret_looking_attribute_keys_are_redacted() {
    let server = TestServer::start_default().await;
    let mut tagged = event::custom("login");
    tagged["attributes"] = json!({ "auth_token": "abc123", "password": "hunter2", "step": "2fa" });
    let beacon = Beacon::new().with_event(tagged);

    assert_eq!(server.post_beacon(&beacon).await.accepted_dropped(), (1, 0));

    let record = server.record(&beacon.event_ids()[0]);
    let EventBody::Custom(custom) = &record.body else { panic!("expected a custom event") };
    let redacted = AttributeValue::String("[redacted]".into());
    assert_eq!(custom.attributes.get("auth_token"), Some(&redacted));
    assert_eq!(custom.attributes.get("password"), Some(&redacted));
    assert_eq!(custom.attributes.get("step"), Some(&AttributeValue::String("2fa".into())));
    assert_eq!(server.outcome_count("shop", "pii_scrubbed").await, 2);
    assert!(!server.storage_text().contains("hunter2"));
}

#[tokio::test]
async fn do_not_track_and_gpc_drop_the_beacon_when_the_project_honours_them() {
    let server = ServerOptions::default().project("shop", |shop| shop.honor_do_not_track = true).start().await;
    let seed = server.seed().await;

    for header in [("DNT", "1"), ("Sec-GPC", "1")] {
        let beacon = Beacon::realistic();
        let response = server.post_beacon_with(SHOP_KEY, &beacon, &[header]).await;
        assert_eq!(response.accepted_dropped(), (0, 10), "{header:?}");
        assert!(server.records_with_ids(&beacon.event_ids()).is_empty(), "{header:?}");
    }
    let ignored_by_blog = Beacon::on("https://blog.example.org/posts/hello").with_event(event::view());
    let response = server.post_beacon_with(BLOG_KEY, &ignored_by_blog, &[("DNT", "1")]).await;

    assert_eq!(response.accepted_dropped(), (1, 0), "a project that does not honour DNT stores the beacon");
    assert_eq!(server.outcome_count("shop", "do_not_track").await, 20);
    server.assert_survived(&seed).await;
}

#[tokio::test]
async fn denied_consent_drops_the_beacon() {
    let server = TestServer::start_default().await;
    let seed = server.seed().await;
    let beacon = Beacon::realistic().with_context("consent", json!("denied"));

    let response = server.post_beacon(&beacon).await;

    assert_eq!(response.accepted_dropped(), (0, 10));
    assert!(server.records_with_ids(&beacon.event_ids()).is_empty());
    assert_eq!(server.outcome_count("shop", "consent_denied").await, 10);
    server.assert_survived(&seed).await;
}
