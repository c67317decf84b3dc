//! Checks the signer against every vector in `tests/data/signature-vectors*.json`, produced by
//! the official SDKs. Adding a vector to either file needs no code here.

use std::collections::BTreeMap;

use crossbind_aliyun::sign;
use serde::Deserialize;

#[derive(Deserialize)]
struct V2Vector {
    name: String,
    method: String,
    params: BTreeMap<String, String>,
    secret: String,
    string_to_sign: String,
    signature: String,
}

#[derive(Deserialize)]
struct V3Vector {
    name: String,
    method: String,
    pathname: String,
    query: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
    body: String,
    access_key_id: String,
    secret: String,
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
}

fn load<T: for<'de> Deserialize<'de>>(file: &str) -> Vec<T> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Collects every mismatch, so one run reports all failing vectors by name.
fn check(failures: &mut Vec<String>, name: &str, what: &str, got: &str, want: &str) {
    if got != want {
        failures.push(format!("{name}: {what}\n   got: {got:?}\n  want: {want:?}"));
    }
}

#[test]
fn v2_vectors() {
    let vectors: Vec<V2Vector> = load("signature-vectors.json");
    assert!(!vectors.is_empty(), "no V2 vectors loaded");
    let mut failures = Vec::new();
    for v in &vectors {
        let string_to_sign = sign::v2_string_to_sign(&v.method, &v.params);
        check(
            &mut failures,
            &v.name,
            "string to sign",
            &string_to_sign,
            &v.string_to_sign,
        );
        let signature = sign::v2_signature(&v.secret, &v.string_to_sign);
        check(
            &mut failures,
            &v.name,
            "signature",
            &signature,
            &v.signature,
        );
        // A Signature parameter among the inputs must not change anything.
        let mut with_signature = v.params.clone();
        with_signature.insert("Signature".to_owned(), v.signature.clone());
        let again = sign::v2_string_to_sign(&v.method, &with_signature);
        check(
            &mut failures,
            &v.name,
            "Signature excluded",
            &again,
            &v.string_to_sign,
        );
    }
    assert!(
        failures.is_empty(),
        "{} V2 vector checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn v3_vectors() {
    let vectors: Vec<V3Vector> = load("signature-vectors-v3.json");
    assert!(!vectors.is_empty(), "no V3 vectors loaded");
    let mut failures = Vec::new();
    for v in &vectors {
        let payload = sign::sha256_hex(v.body.as_bytes());
        let declared = v
            .headers
            .get("x-acs-content-sha256")
            .cloned()
            .unwrap_or_default();
        check(&mut failures, &v.name, "payload hash", &payload, &declared);
        let signed_headers: Vec<String> = v.headers.keys().cloned().collect();
        let canonical = sign::v3_canonical_request(&sign::V3Request {
            method: &v.method,
            path: &v.pathname,
            query: &v.query,
            headers: &v.headers,
            signed_headers: &signed_headers,
            payload_sha256_hex: &payload,
        });
        check(
            &mut failures,
            &v.name,
            "canonical request",
            &canonical,
            &v.canonical_request,
        );
        let string_to_sign = sign::v3_string_to_sign(&v.canonical_request);
        check(
            &mut failures,
            &v.name,
            "string to sign",
            &string_to_sign,
            &v.string_to_sign,
        );
        let signature = sign::v3_signature(&v.secret, &v.string_to_sign);
        let authorization = sign::v3_authorization(&v.access_key_id, &signed_headers, &signature);
        check(
            &mut failures,
            &v.name,
            "authorization",
            &authorization,
            &v.authorization,
        );
        match sign::parse_v3_authorization(&v.authorization) {
            Some(parsed) => {
                check(
                    &mut failures,
                    &v.name,
                    "parsed credential",
                    &parsed.access_key_id,
                    &v.access_key_id,
                );
                check(
                    &mut failures,
                    &v.name,
                    "parsed signature",
                    &parsed.signature,
                    &signature,
                );
                check(
                    &mut failures,
                    &v.name,
                    "parsed signed headers",
                    &parsed.signed_headers.join(";"),
                    &signed_headers.join(";"),
                );
            }
            None => failures.push(format!("{}: authorization header did not parse", v.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} V3 vector checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
