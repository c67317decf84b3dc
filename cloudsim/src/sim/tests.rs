//! Property tests of the whole pipeline without HTTP: whatever the client signer produces for
//! arbitrary values is accepted and decoded back to the same value, over V2 query, V2 form
//! body and V3; and changing one signed byte is refused.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, Method};
use crossbind_aliyun::clock::{FixedClock, format_timestamp};
use crossbind_aliyun::sign::{
    V3Request, percent_encode, sha256_hex, v2_canonical_query, v2_signature, v2_string_to_sign,
    v3_authorization, v3_canonical_request, v3_signature, v3_string_to_sign,
};
use proptest::prelude::*;
use time::macros::datetime;

use super::Sim;
use crate::request::ApiRequest;
use crate::world::World;

const KEY_ID: &str = "LTAI5tProviderB0000000001";
const SECRET: &str = "cloudsimProviderBSecretKey000001";
const TRUST: &str = r#"{"Statement":[],"Version":"1"}"#;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn sim() -> Sim {
    let clock = Arc::new(FixedClock::new(datetime!(2026-01-15 08:30:00 UTC)));
    Sim::new(World::default_world(), clock)
}

fn unique() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A V2 CreateRole with `description`, either all in the query or with the business
/// parameters in a form body; `tamper` replaces the description after signing.
fn v2_request(description: &str, form: bool, tamper: Option<&str>) -> ApiRequest {
    let n = unique();
    let role = format!("r{n}");
    let mut common: BTreeMap<String, String> = [
        ("Action", "CreateRole"),
        ("Version", "2015-05-01"),
        ("Format", "json"),
        ("AccessKeyId", KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2026-01-15T08:30:00Z"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    common.insert("SignatureNonce".into(), format!("n{n}"));
    let business: BTreeMap<String, String> = [
        ("RoleName", role.as_str()),
        ("AssumeRolePolicyDocument", TRUST),
        ("Description", description),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut signed = common.clone();
    signed.extend(business.clone());
    let signature = v2_signature(SECRET, &v2_string_to_sign("POST", &signed));
    let mut business = business;
    if let Some(t) = tamper {
        business.insert("Description".into(), t.to_owned());
    }
    let (mut query, body) = if form {
        (
            common,
            serde_urlencoded::to_string(&business).unwrap_or_default(),
        )
    } else {
        common.extend(business);
        (common, String::new())
    };
    query.remove("Signature");
    let query = format!(
        "{}&Signature={}",
        v2_canonical_query(&query),
        percent_encode(&signature)
    );
    let mut headers = HeaderMap::new();
    if form {
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
    }
    ApiRequest::parse(&Method::POST, Some(&query), headers, body.into_bytes()).unwrap()
}

/// A V3 CreateRole with the role name in the query and the rest in a form body.
fn v3_request(description: &str) -> ApiRequest {
    let n = unique();
    let query: BTreeMap<String, String> = [("RoleName".to_owned(), format!("v{n}"))].into();
    let body = serde_urlencoded::to_string([
        ("AssumeRolePolicyDocument", TRUST),
        ("Description", description),
    ])
    .unwrap();
    let hash = sha256_hex(body.as_bytes());
    let headers: BTreeMap<String, String> = [
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("host", "ram.aliyuncs.com".to_owned()),
        ("x-acs-action", "CreateRole".to_owned()),
        ("x-acs-version", "2015-05-01".to_owned()),
        (
            "x-acs-date",
            format_timestamp(datetime!(2026-01-15 08:30:00 UTC)),
        ),
        ("x-acs-signature-nonce", format!("v{n}")),
        ("x-acs-content-sha256", hash.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let signed: Vec<String> = headers.keys().cloned().collect();
    let canonical = v3_canonical_request(&V3Request {
        method: "POST",
        path: "/",
        query: &query,
        headers: &headers,
        signed_headers: &signed,
        payload_sha256_hex: &hash,
    });
    let signature = v3_signature(SECRET, &v3_string_to_sign(&canonical));
    let mut map = HeaderMap::new();
    for (k, v) in &headers {
        map.insert(
            k.as_str().parse::<axum::http::HeaderName>().unwrap(),
            v.parse().unwrap(),
        );
    }
    map.insert(
        "authorization",
        v3_authorization(KEY_ID, &signed, &signature)
            .parse()
            .unwrap(),
    );
    let query = v2_canonical_query(&query);
    ApiRequest::parse(&Method::POST, Some(&query), map, body.into_bytes()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_the_signer_signs_is_accepted_and_decoded(
        description in "\\PC{0,40}",
        form in any::<bool>(),
    ) {
        let sim = sim();
        for req in [v2_request(&description, form, None), v3_request(&description)] {
            let answer = sim.handle(&req);
            prop_assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
            prop_assert_eq!(answer.body["Role"]["Description"].as_str(), Some(description.as_str()));
        }
    }

    #[test]
    fn a_changed_value_is_refused(description in "\\PC{1,40}", form in any::<bool>()) {
        let sim = sim();
        let tampered = format!("{description}!");
        let answer = sim.handle(&v2_request(&description, form, Some(&tampered)));
        prop_assert_eq!(answer.status.as_u16(), 400);
        prop_assert_eq!(answer.body["Code"].as_str(), Some("SignatureDoesNotMatch"));
    }
}
