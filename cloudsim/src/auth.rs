//! Gateway authentication: finds the API (`Action` + `Version`) and verifies the V2
//! (HMAC-SHA1) or V3 (ACS3-HMAC-SHA256) signature, timestamp and nonce exactly as the cloud
//! does, in the cloud's order. It does not authorize: any valid key may call any action.
//!
//! Order of checks: missing common parameters → unknown AccessKey → timestamp format →
//! timestamp tolerance → signature → nonce reuse.

use std::collections::BTreeMap;

use crossbind_aliyun::clock::parse_timestamp;
use crossbind_aliyun::ids::AccountUid;
use crossbind_aliyun::sign::{
    V3_ALGORITHM, V3Request, constant_time_eq, parse_v3_authorization, sha256_hex, v2_signature,
    v2_string_to_sign, v3_canonical_request, v3_signature, v3_string_to_sign,
};
use secrecy::ExposeSecret;
use time::{Duration, OffsetDateTime};
use tracing::trace;

use crate::reply::ApiError;
use crate::request::{ApiRequest, Params};
use crate::sim::state::State;

/// The API a request names, known before authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Api {
    pub(crate) action: String,
    pub(crate) version: String,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The account the AccessKey belongs to.
    pub(crate) uid: AccountUid,
    /// The AccessKeyId used.
    pub(crate) access_key_id: String,
}

/// Headers V3 requires to be present and signed, besides `host`.
const V3_REQUIRED_HEADERS: [&str; 5] = [
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// The V2 common parameters, in the order their absence is reported.
const V2_REQUIRED_PARAMS: [&str; 8] = [
    "Action",
    "Version",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
];

/// The API named by a request: V3 headers when an ACS3 `Authorization` is present, else
/// V2 parameters. `None` parts are reported by [`authenticate`].
pub(crate) fn api_of(req: &ApiRequest, params: &Params) -> (Option<String>, Option<String>) {
    if is_v3(req) {
        (
            req.header("x-acs-action").map(str::to_owned),
            req.header("x-acs-version").map(str::to_owned),
        )
    } else {
        (
            params.opt("Action").map(str::to_owned),
            params.opt("Version").map(str::to_owned),
        )
    }
}

/// Verifies the request and returns the API and the caller.
pub(crate) fn authenticate(
    state: &mut State,
    now: OffsetDateTime,
    req: &ApiRequest,
    params: &Params,
) -> Result<(Api, Caller), ApiError> {
    if is_v3(req) {
        authenticate_v3(state, now, req)
    } else {
        authenticate_v2(state, now, req, params)
    }
}

fn is_v3(req: &ApiRequest) -> bool {
    req.header("authorization")
        .is_some_and(|a| a.trim_start().starts_with("ACS3-"))
}

fn authenticate_v2(
    state: &mut State,
    now: OffsetDateTime,
    req: &ApiRequest,
    params: &Params,
) -> Result<(Api, Caller), ApiError> {
    for name in V2_REQUIRED_PARAMS {
        if params.opt(name).is_none() {
            return Err(ApiError::missing_common(name));
        }
    }
    let get = |name: &str| params.opt(name).unwrap_or_default();
    if get("SignatureMethod") != "HMAC-SHA1" {
        return Err(ApiError::incomplete_signature(
            "SignatureMethod must be HMAC-SHA1.",
        ));
    }
    if get("SignatureVersion") != "1.0" {
        return Err(ApiError::incomplete_signature(
            "SignatureVersion must be 1.0.",
        ));
    }
    let key_id = get("AccessKeyId");
    let uid = lookup_key(state, key_id)?;
    if params.opt("SecurityToken").is_some() {
        return Err(token_not_accepted());
    }
    check_time(state, now, get("Timestamp"))?;
    let string_to_sign = v2_string_to_sign(&req.method, &params.without_signature());
    trace!(string_to_sign = %string_to_sign, "v2 string to sign");
    let expected = v2_signature(secret_of(state, key_id), &string_to_sign);
    if !constant_time_eq(&expected, get("Signature")) {
        return Err(signature_mismatch(&string_to_sign));
    }
    check_nonce(state, now, key_id, get("SignatureNonce"))?;
    Ok((
        Api {
            action: get("Action").to_owned(),
            version: get("Version").to_owned(),
        },
        Caller {
            uid,
            access_key_id: key_id.to_owned(),
        },
    ))
}

fn authenticate_v3(
    state: &mut State,
    now: OffsetDateTime,
    req: &ApiRequest,
) -> Result<(Api, Caller), ApiError> {
    let header = req.header("authorization").unwrap_or_default();
    let Some(auth) = parse_v3_authorization(header) else {
        return Err(ApiError::incomplete_signature(&format!(
            "Authorization must be \"{V3_ALGORITHM} Credential=...,SignedHeaders=...,Signature=...\"."
        )));
    };
    for name in V3_REQUIRED_HEADERS {
        if req.header(name).is_none_or(str::is_empty) {
            return Err(ApiError::missing_common(name));
        }
    }
    let signed: Vec<String> = auth
        .signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for name in std::iter::once("host").chain(V3_REQUIRED_HEADERS) {
        if !signed.iter().any(|h| h == name) {
            return Err(ApiError::incomplete_signature(&format!(
                "The header \"{name}\" must be signed."
            )));
        }
    }
    let header = |name: &str| req.header(name).unwrap_or_default();
    let uid = lookup_key(state, &auth.access_key_id)?;
    if req.header("x-acs-security-token").is_some() {
        return Err(token_not_accepted());
    }
    check_time(state, now, header("x-acs-date"))?;

    let headers = signed_header_values(req, &signed);
    let body_hash = sha256_hex(&req.body);
    let query = req.query_map();
    let canonical = v3_canonical_request(&V3Request {
        method: &req.method,
        path: "/",
        query: &query,
        headers: &headers,
        signed_headers: &signed,
        payload_sha256_hex: &body_hash,
    });
    let string_to_sign = v3_string_to_sign(&canonical);
    trace!(canonical_request = %canonical, "v3 canonical request");
    let declared_hash = header("x-acs-content-sha256");
    let expected = v3_signature(secret_of(state, &auth.access_key_id), &string_to_sign);
    if !constant_time_eq(&declared_hash.to_ascii_lowercase(), &body_hash)
        || !constant_time_eq(&expected, &auth.signature.to_ascii_lowercase())
    {
        return Err(signature_mismatch(&string_to_sign));
    }
    check_nonce(
        state,
        now,
        &auth.access_key_id,
        header("x-acs-signature-nonce"),
    )?;
    Ok((
        Api {
            action: header("x-acs-action").to_owned(),
            version: header("x-acs-version").to_owned(),
        },
        Caller {
            uid,
            access_key_id: auth.access_key_id,
        },
    ))
}

/// The values of the signed headers: several values of one name are trimmed, sorted and
/// joined with `,`; a signed header that is absent counts as empty.
fn signed_header_values(req: &ApiRequest, signed: &[String]) -> BTreeMap<String, String> {
    signed
        .iter()
        .map(|name| {
            let mut values: Vec<String> = req
                .headers
                .get_all(name.as_str())
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
                .collect();
            values.sort();
            (name.clone(), values.join(","))
        })
        .collect()
}

/// The account of an AccessKeyId.
fn lookup_key(state: &State, key_id: &str) -> Result<AccountUid, ApiError> {
    match state.keys.get(key_id) {
        Some(entry) => Ok(entry.uid.clone()),
        None => Err(ApiError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )),
    }
}

/// The secret of a key already found by [`lookup_key`], borrowed only for the HMAC.
fn secret_of<'s>(state: &'s State, key_id: &str) -> &'s str {
    state
        .keys
        .get(key_id)
        .map_or("", |entry| entry.secret.expose_secret())
}

fn check_time(state: &State, now: OffsetDateTime, stamp: &str) -> Result<(), ApiError> {
    let Some(at) = parse_timestamp(stamp) else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        ));
    };
    let tolerance = Duration::seconds(
        i64::try_from(state.settings.timestamp_tolerance_seconds).unwrap_or(i64::MAX),
    );
    if (now - at).abs() > tolerance {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

fn check_nonce(
    state: &mut State,
    now: OffsetDateTime,
    key_id: &str,
    nonce: &str,
) -> Result<(), ApiError> {
    let ttl = state.settings.nonce_ttl_seconds;
    if state.nonces.remember(key_id, nonce, now, ttl) {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ))
    }
}

fn signature_mismatch(string_to_sign: &str) -> ApiError {
    ApiError::new(
        400,
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
    )
}

/// The world declares no STS credentials, so no security token can be valid.
fn token_not_accepted() -> ApiError {
    ApiError::new(
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
        "Specified SecurityToken mismatch with the AccessKey.",
    )
}
