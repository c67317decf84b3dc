//! Property tests: signing never panics on arbitrary Unicode, and a server that re-parses what
//! the client built (form decoding, `+` as space) recomputes exactly the signature sent, in V2
//! and V3. The verifiers here are also used by the wire tests.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crossbind_aliyun::client::{Client, Method, RpcRequest, SignatureVersion};
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::endpoint::Product;
use crossbind_aliyun::sign;
use proptest::prelude::*;

use super::client_for;

const SECRET: &str = "round-trip-secret";
const TOKEN: &str = "CAIS+round/trip=token";

fn decode(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(s).expect("form-decodes")
}

fn query_of(target: &str) -> &str {
    target.split_once('?').map(|(_, q)| q).unwrap_or("")
}

/// Recomputes a V2 signature the way a server does and compares it with the one sent.
pub(super) fn v2_signature_ok(method: &str, target: &str, body: &str, secret: &str) -> bool {
    let mut params: BTreeMap<String, String> = decode(query_of(target)).into_iter().collect();
    params.extend(decode(body));
    let Some(sent) = params.remove("Signature") else {
        return false;
    };
    let expected = sign::v2_signature(secret, &sign::v2_string_to_sign(method, &params));
    sign::constant_time_eq(&expected, &sent)
}

/// Recomputes a V3 signature the way a server does and compares it with the one sent.
pub(super) fn v3_signature_ok(
    method: &str,
    target: &str,
    headers: &BTreeMap<String, String>,
    body: &str,
    secret: &str,
) -> bool {
    let Some(auth) = headers
        .get("authorization")
        .and_then(|h| sign::parse_v3_authorization(h))
    else {
        return false;
    };
    let payload = sign::sha256_hex(body.as_bytes());
    if headers.get("x-acs-content-sha256") != Some(&payload) {
        return false;
    }
    let query: BTreeMap<String, String> = decode(query_of(target)).into_iter().collect();
    let canonical = sign::v3_canonical_request(&sign::V3Request {
        method,
        path: target.split('?').next().unwrap_or("/"),
        query: &query,
        headers,
        signed_headers: &auth.signed_headers,
        payload_sha256_hex: &payload,
    });
    let expected = sign::v3_signature(secret, &sign::v3_string_to_sign(&canonical));
    sign::constant_time_eq(&expected, &auth.signature)
}

fn client(signature: SignatureVersion) -> &'static Client {
    static V2: OnceLock<Client> = OnceLock::new();
    static V3: OnceLock<Client> = OnceLock::new();
    let cell = match signature {
        SignatureVersion::V2 => &V2,
        SignatureVersion::V3 => &V3,
    };
    cell.get_or_init(|| {
        let creds = Credentials::new("STS.roundtrip", SECRET).with_security_token(TOKEN);
        client_for("http://127.0.0.1:9", signature, creds)
    })
}

/// The request target (path and query) of a full URL.
fn target_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_owned(),
        None => "/".to_owned(),
    }
}

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9._-]{0,12}".prop_filter("not a reserved name", |k| {
        ![
            "AccessKeyId",
            "Action",
            "Format",
            "Signature",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "SecurityToken",
            "Timestamp",
            "Version",
        ]
        .contains(&k.as_str())
    })
}

fn request() -> impl Strategy<Value = RpcRequest> {
    (
        prop::collection::btree_map(key(), any::<String>(), 0..6),
        prop::collection::btree_map(key(), any::<String>(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(query, form, post)| {
            let mut req = RpcRequest::new(Product::Ram, "UpdateRole", "2015-05-01");
            if post {
                req.form = form
                    .into_iter()
                    .filter(|(k, _)| !query.contains_key(k))
                    .collect();
            } else {
                req = req.with_method(Method::Get);
            }
            req.query = query;
            req
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn signing_arbitrary_values_never_panics(
        params in prop::collection::btree_map(any::<String>(), any::<String>(), 0..8),
        secret in any::<String>(),
        method in "GET|POST",
    ) {
        let sts = sign::v2_string_to_sign(&method, &params);
        let sig = sign::v2_signature(&secret, &sts);
        prop_assert_eq!(sig.len(), 28);
        let headers = BTreeMap::new();
        let canonical = sign::v3_canonical_request(&sign::V3Request {
            method: &method,
            path: "/",
            query: &params,
            headers: &headers,
            signed_headers: &[],
            payload_sha256_hex: sign::EMPTY_SHA256_HEX,
        });
        prop_assert_eq!(sign::v3_signature(&secret, &sign::v3_string_to_sign(&canonical)).len(), 64);
        prop_assert!(sign::percent_encode(&secret).is_ascii());
    }

    #[test]
    fn v2_server_recomputes_the_client_signature(req in request()) {
        let prepared = client(SignatureVersion::V2).prepare(&req).expect("prepares");
        let target = target_of(&prepared.url);
        prop_assert!(!target.contains('+'), "a '+' on the wire: {}", target);
        prop_assert!(v2_signature_ok(prepared.method.as_str(), &target, &prepared.body, SECRET));
        prop_assert!(!v2_signature_ok(prepared.method.as_str(), &target, &prepared.body, "wrong"));
        let params: BTreeMap<String, String> = decode(query_of(&target)).into_iter().collect();
        prop_assert_eq!(params.get("SecurityToken").map(String::as_str), Some(TOKEN));
        for (k, v) in &req.query {
            prop_assert_eq!(params.get(k), Some(v));
        }
    }

    #[test]
    fn v3_server_recomputes_the_client_signature(req in request()) {
        let prepared = client(SignatureVersion::V3).prepare(&req).expect("prepares");
        let target = target_of(&prepared.url);
        prop_assert!(!target.contains('+'), "a '+' on the wire: {}", target);
        let headers: BTreeMap<String, String> = prepared.headers.iter().cloned().collect();
        prop_assert!(v3_signature_ok(prepared.method.as_str(), &target, &headers, &prepared.body, SECRET));
        prop_assert!(!v3_signature_ok(prepared.method.as_str(), &target, &headers, &prepared.body, "wrong"));
        let form: BTreeMap<String, String> = decode(&prepared.body).into_iter().collect();
        prop_assert_eq!(&form, &req.form);
    }
}
