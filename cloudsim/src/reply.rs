//! What the emulator answers: the cloud's error value (`ApiError`), the gateway's error codes
//! and the JSON body shapes. It does not decide which error applies; the callers do.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// A successful answer: the JSON object the action returns, before `RequestId` is added.
pub(crate) type Reply = Result<Value, ApiError>;

/// An error as the cloud reports it: HTTP status, `Code` and `Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
}

// === impl ApiError ===

impl ApiError {
    pub(crate) fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.into(),
            message: message.into(),
        }
    }

    /// A missing common (gateway) parameter.
    pub(crate) fn missing_common(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// A missing business parameter: `Missing<Name>`.
    pub(crate) fn missing(name: &str) -> Self {
        let code: String = name.chars().filter(|c| *c != '.').collect();
        Self::new(
            400,
            format!("Missing{code}"),
            format!("{name} is mandatory for this action."),
        )
    }

    /// A parameter with a value the action does not accept.
    pub(crate) fn invalid(name: &str, why: impl AsRef<str>) -> Self {
        let why = why.as_ref();
        let mut message = format!("The specified parameter \"{name}\" is not valid.");
        if !why.is_empty() {
            message.push(' ');
            message.push_str(why);
        }
        Self::new(400, "InvalidParameter", message)
    }

    /// No action of that name in that version.
    pub(crate) fn unknown_api() -> Self {
        Self::new(
            400,
            "InvalidParameter",
            "The specified parameter \"Action or Version\" is not valid.",
        )
    }

    /// 400 `Throttling.User`: the gateway's flow control refused the call.
    pub(crate) fn throttled() -> Self {
        Self::new(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    /// 503 `ServiceUnavailable`: a temporary server failure.
    pub(crate) fn service_unavailable() -> Self {
        Self::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    /// 500 `InternalError`: an unknown server failure.
    pub(crate) fn internal_error() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    /// A malformed or unsupported signature scheme.
    pub(crate) fn incomplete_signature(why: &str) -> Self {
        Self::new(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards. {why}"),
        )
    }

    /// The error body: `RequestId`, `HostId`, `Code`, `Message`, `Recommend`.
    pub(crate) fn body(&self, request_id: &str, host: &str, product: &str) -> Value {
        json!({
            "RequestId": request_id,
            "HostId": host,
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={}&product={product}&requestId={request_id}",
                self.code
            ),
        })
    }
}

/// The product name the troubleshooting link uses, from the API version.
pub(crate) fn product_of(version: Option<&str>) -> &'static str {
    match version {
        Some("2015-04-01") => "Sts",
        Some("2015-05-01") => "Ram",
        Some("2021-03-20") | Some("2016-04-08") => "Emr",
        Some("2024-05-18") => "dataworks-public",
        _ => "OpenAPI",
    }
}

/// Adds `RequestId` to a success object (anything else is wrapped under `Data`).
pub(crate) fn with_request_id(value: Value, request_id: &str) -> Value {
    let mut map = match value {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert(String::from("Data"), other);
            map
        }
    };
    map.insert(String::from("RequestId"), Value::from(request_id));
    Value::Object(map)
}

/// A fresh request ID: an upper-case UUID.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_gateway_keys() {
        let e = ApiError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
        let body = e.body("ABC", "ram.aliyuncs.com", "Ram");
        assert_eq!(body["Code"], "InvalidAccessKeyId.NotFound");
        assert_eq!(body["HostId"], "ram.aliyuncs.com");
        assert_eq!(
            body["Recommend"],
            "https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Ram&requestId=ABC"
        );
        assert_eq!(body.as_object().map(|m| m.len()), Some(5));
    }

    #[test]
    fn missing_business_parameter_names_it() {
        let e = ApiError::missing("RoleName");
        assert_eq!(e.code, "MissingRoleName");
        assert_eq!(e.message, "RoleName is mandatory for this action.");
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn request_ids_are_fresh_upper_case_uuids() {
        let a = new_request_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a, a.to_ascii_uppercase());
        assert_ne!(a, new_request_id());
    }
}
