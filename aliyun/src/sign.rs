//! Request signing for Alibaba Cloud RPC APIs: the V2 (HMAC-SHA1, "1.0") and V3
//! (ACS3-HMAC-SHA256) algorithms as pure functions over already-collected parameters.
//!
//! Both the client (to sign) and the emulator (to verify) use these. Nothing here does I/O,
//! reads a clock or makes a nonce: the caller supplies every input.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The V3 algorithm name, first word of the string to sign and of `Authorization`.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Hex SHA-256 of an empty body.
pub const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The parts of a request that V3 signs. Header names are lower-case.
#[derive(Debug, Clone, Copy)]
pub struct V3Request<'a> {
    /// `GET` or `POST`, exactly as sent.
    pub method: &'a str,
    /// The URL path; `/` for every RPC API.
    pub path: &'a str,
    /// Query parameters, unencoded.
    pub query: &'a BTreeMap<String, String>,
    /// Lower-case header name to value.
    pub headers: &'a BTreeMap<String, String>,
    /// Names (lower-case) of the headers that are signed.
    pub signed_headers: &'a [String],
    /// Lower-case hex SHA-256 of the body bytes.
    pub payload_sha256_hex: &'a str,
}

/// A parsed V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Authorization {
    /// The `Credential=` part.
    pub access_key_id: String,
    /// The `SignedHeaders=` part, split on `;`.
    pub signed_headers: Vec<String>,
    /// The `Signature=` part (lower-case hex).
    pub signature: String,
}

/// Percent-encodes `s` with the rule both algorithms use: `A-Z a-z 0-9 - _ . ~` stay, every
/// other UTF-8 byte becomes `%XY` in upper-case hex (so a space is `%20`, never `+`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Encodes `params` as sorted `name=value` pairs joined by `&`, leaving out `Signature`.
///
/// This is the V2 canonicalized query string, and also the form the client sends on the wire.
pub fn v2_canonical_query(params: &BTreeMap<String, String>) -> String {
    encode_pairs(
        params
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// The V2 string to sign: `METHOD&%2F&` + the encoded canonical query.
pub fn v2_string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{method}&%2F&{}",
        percent_encode(&v2_canonical_query(params))
    )
}

/// The V2 signature: base64 of HMAC-SHA1 keyed with `secret + "&"`.
pub fn v2_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The V3 canonical request: method, path, encoded sorted query, the signed headers (sorted,
/// values trimmed, each line `name:value\n`), the signed header list and the payload hash.
pub fn v3_canonical_request(req: &V3Request<'_>) -> String {
    let signed = sorted_lower(req.signed_headers);
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(req.path);
    out.push('\n');
    out.push_str(&encode_pairs(
        req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ));
    out.push('\n');
    for name in &signed {
        let value = req.headers.get(name).map(|v| v.trim()).unwrap_or_default();
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed.join(";"));
    out.push('\n');
    out.push_str(req.payload_sha256_hex);
    out
}

/// The V3 string to sign: the algorithm name, a newline, and hex SHA-256 of the canonical request.
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The V3 signature: lower-case hex of HMAC-SHA256 keyed with the raw secret.
pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The V3 `Authorization` header value.
pub fn v3_authorization(access_key_id: &str, signed_headers: &[String], signature: &str) -> String {
    format!(
        "{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={signature}",
        sorted_lower(signed_headers).join(";")
    )
}

/// Parses a V3 `Authorization` header; `None` when it is not one.
pub fn parse_v3_authorization(header: &str) -> Option<V3Authorization> {
    let rest = header.trim().strip_prefix(V3_ALGORITHM)?;
    if !rest.starts_with(' ') {
        return None;
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.trim().split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(value.to_owned()).is_some() {
            return None;
        }
    }
    let access_key_id = credential.filter(|c| !c.is_empty())?;
    let signature = signature.filter(|s| !s.is_empty())?;
    let signed_headers = signed?
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    Some(V3Authorization {
        access_key_id,
        signed_headers,
        signature,
    })
}

/// Compares two strings in time that depends only on their lengths, for signature checks.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn encode_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

fn sorted_lower(names: &[String]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_rule() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("a b*c/d"), "a%20b%2Ac%2Fd");
        assert_eq!(percent_encode("=&+%"), "%3D%26%2B%25");
        assert_eq!(percent_encode("测"), "%E6%B5%8B");
        assert_eq!(percent_encode("🚀"), "%F0%9F%9A%80");
    }

    #[test]
    fn canonical_query_sorts_bytewise_and_skips_signature() {
        let params: BTreeMap<String, String> = [
            ("Tags.2.Key", "b"),
            ("Tags.10.Key", "a"),
            ("Signature", "zzz"),
            ("Marker", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            v2_canonical_query(&params),
            "Marker=&Tags.10.Key=a&Tags.2.Key=b"
        );
    }

    #[test]
    fn authorization_round_trips_and_rejects_junk() {
        let signed = vec!["x-acs-date".to_owned(), "host".to_owned()];
        let header = v3_authorization("AK", &signed, "abc123");
        assert_eq!(
            header,
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc123"
        );
        let parsed = parse_v3_authorization(&header).unwrap();
        assert_eq!(parsed.access_key_id, "AK");
        assert_eq!(parsed.signed_headers, vec!["host", "x-acs-date"]);
        assert_eq!(parsed.signature, "abc123");
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SHA256Credential=a,SignedHeaders=h,Signature=s",
            "ACS3-HMAC-SM3 Credential=a,SignedHeaders=h,Signature=s",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=h",
            "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=h,Signature=s",
            "ACS3-HMAC-SHA256 Credential=a,Other=x,SignedHeaders=h,Signature=s",
        ] {
            assert_eq!(parse_v3_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn canonical_request_uses_only_signed_headers() {
        let query = BTreeMap::new();
        let headers: BTreeMap<String, String> = [
            ("host", " h "),
            ("x-acs-date", "d"),
            ("user-agent", "ignored"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let signed = vec!["x-acs-date".to_owned(), "host".to_owned()];
        let req = V3Request {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            signed_headers: &signed,
            payload_sha256_hex: EMPTY_SHA256_HEX,
        };
        assert_eq!(
            v3_canonical_request(&req),
            format!("GET\n/\n\nhost:h\nx-acs-date:d\n\nhost;x-acs-date\n{EMPTY_SHA256_HEX}")
        );
        assert_eq!(sha256_hex(b""), EMPTY_SHA256_HEX);
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(constant_time_eq("", ""));
    }
}
