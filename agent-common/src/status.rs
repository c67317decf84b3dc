//! The one mapping of cloud failures to gRPC statuses, shared by both agents.
//!
//! An answer from the cloud keeps its Code, Message and RequestId in the status message, plus a
//! sentence on what to do. A failure without an answer (network, timeout, credentials, an
//! undecodable reply) gets a fixed message, and its cause chain is logged once at `warn`. No
//! status built here carries a secret: the cloud never sees one, and the string to sign that
//! `SignatureDoesNotMatch` echoes (it may hold an STS token) is cut off.

use crossbind_aliyun::error::{ApiError, Error as CloudError, ErrorKind, codes};
use tonic::Status;

use crate::telemetry::display_chain;

/// The longest cloud message quoted in a status.
const MAX_QUOTED_MESSAGE: usize = 512;

/// What `SignatureDoesNotMatch` messages put before the server's string to sign.
const STRING_TO_SIGN_MARKER: &str = "server string to sign is";

/// Maps a failed cloud call to the status an agent answers with.
///
/// - throttling, transient and server failures: `UNAVAILABLE` (retry later);
/// - `NoPermission` and `Forbidden*` refusals: `PERMISSION_DENIED`;
/// - every other refusal: `FAILED_PRECONDITION`;
/// - no answer (connection, timeout): `UNAVAILABLE`, fixed message;
/// - anything else (credentials, undecodable answer, bad request built by the agent):
///   `INTERNAL`, fixed message.
pub fn cloud_error_to_status(err: &CloudError) -> Status {
    if let Some(api) = err.api() {
        tracing::debug!(
            cloud.code = %api.code,
            cloud.request_id = ?api.request_id,
            "cloud call refused"
        );
        return api_status(api);
    }
    tracing::warn!(error = %display_chain(err), "cloud call failed without an error answer");
    match err {
        CloudError::NotApplied { action, request_id } => Status::unavailable(format!(
            "the cloud accepted {action} but reported that it did not apply it (RequestId {}); \
             retry later",
            request_id.as_deref().unwrap_or("unknown")
        )),
        _ if err.kind() == ErrorKind::Transient => Status::unavailable(
            "the cloud API did not answer (connection failure or timeout); check the agent's \
             network and its cloud.endpoint setting, then retry",
        ),
        _ => Status::internal(
            "the agent could not complete a cloud API call; the agent's log has the details",
        ),
    }
}

/// An error answer as quoted in statuses: `the cloud answered <Code>: <Message> (HTTP <status>,
/// RequestId <id>)`, the message cut short and without an echoed string to sign.
pub fn quote_api_error(api: &ApiError) -> String {
    format!(
        "the cloud answered {}: {} (HTTP {}, RequestId {})",
        api.code,
        quote_message(api),
        api.http_status,
        api.request_id.as_deref().unwrap_or("unknown")
    )
}

/// The status for an error answer.
fn api_status(api: &ApiError) -> Status {
    let quoted = quote_api_error(api);
    match api.kind() {
        ErrorKind::Throttled => Status::unavailable(format!(
            "{quoted}; the cloud is throttling this account's requests and the agent's retries \
             ran out: wait a little, then retry"
        )),
        ErrorKind::Transient | ErrorKind::Server => Status::unavailable(format!(
            "{quoted}; this is a cloud-side failure that usually passes: retry later, and quote \
             the RequestId to Alibaba Cloud support if it persists"
        )),
        ErrorKind::Client if is_permission_refusal(&api.code) => {
            Status::permission_denied(format!(
                "{quoted}; the agent's RAM identity lacks a permission this step needs: grant it \
             (see the cloud's message for the action), then retry"
            ))
        }
        ErrorKind::Client if is_credential_refusal(&api.code) => {
            Status::failed_precondition(format!(
                "{quoted}; the agent's credentials or clock are not accepted: check its AccessKey \
                 and that its clock is synchronised, then restart it"
            ))
        }
        ErrorKind::Client => Status::failed_precondition(format!(
            "{quoted}; the cloud refused the request: fix what the message names, then retry"
        )),
    }
}

/// `NoPermission`, `Forbidden` and `Forbidden.*`.
fn is_permission_refusal(code: &str) -> bool {
    code == codes::NO_PERMISSION || code == "Forbidden" || code.starts_with("Forbidden.")
}

/// Codes that mean the request's signature or credentials were not accepted.
fn is_credential_refusal(code: &str) -> bool {
    [
        codes::SIGNATURE_DOES_NOT_MATCH,
        codes::INCOMPLETE_SIGNATURE,
        codes::INVALID_ACCESS_KEY_ID_NOT_FOUND,
        codes::INVALID_ACCESS_KEY_ID_INACTIVE,
        codes::SIGNATURE_NONCE_USED,
        codes::INVALID_TIMESTAMP_EXPIRED,
        codes::INVALID_TIMESTAMP_FORMAT,
        codes::INVALID_SECURITY_TOKEN_EXPIRED,
        codes::INVALID_SECURITY_TOKEN_MISMATCH,
        codes::MISSING_SECURITY_TOKEN,
    ]
    .contains(&code)
}

/// The cloud's message, without an echoed string to sign and cut to a sane length.
fn quote_message(api: &ApiError) -> String {
    let mut message = api.message.trim().to_owned();
    if let Some(at) = message.to_ascii_lowercase().find(STRING_TO_SIGN_MARKER) {
        message.truncate(at);
        message = format!("{} (string to sign omitted)", message.trim_end());
    }
    if message.chars().count() > MAX_QUOTED_MESSAGE {
        message = message.chars().take(MAX_QUOTED_MESSAGE).collect();
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests;
