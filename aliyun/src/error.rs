//! The client's error type, the cloud's error body ([`ApiError`]) and the one classification of
//! failures into retry classes ([`ErrorKind`]); it does not decide how long to wait.

use std::fmt;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Gateway error codes shared by every product (facts §1.3).
pub mod codes {
    /// The signature did not match; the message embeds the server's string to sign.
    pub const SIGNATURE_DOES_NOT_MATCH: &str = "SignatureDoesNotMatch";
    /// The signature is malformed or missing parts.
    pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
    /// The AccessKey ID is unknown (HTTP 404).
    pub const INVALID_ACCESS_KEY_ID_NOT_FOUND: &str = "InvalidAccessKeyId.NotFound";
    /// The AccessKey is disabled.
    pub const INVALID_ACCESS_KEY_ID_INACTIVE: &str = "InvalidAccessKeyId.Inactive";
    /// The nonce was already used.
    pub const SIGNATURE_NONCE_USED: &str = "SignatureNonceUsed";
    /// The timestamp is outside the allowed skew.
    pub const INVALID_TIMESTAMP_EXPIRED: &str = "InvalidTimeStamp.Expired";
    /// The timestamp is not `YYYY-MM-DDThh:mm:ssZ`.
    pub const INVALID_TIMESTAMP_FORMAT: &str = "InvalidTimeStamp.Format";
    /// The STS token has expired.
    pub const INVALID_SECURITY_TOKEN_EXPIRED: &str = "InvalidSecurityToken.Expired";
    /// The STS token does not belong to the AccessKey ID.
    pub const INVALID_SECURITY_TOKEN_MISMATCH: &str = "InvalidSecurityToken.MismatchWithAccessKey";
    /// An STS AccessKey ID was sent without its token.
    pub const MISSING_SECURITY_TOKEN: &str = "MissingSecurityToken";
    /// Flow control; also `Throttling.User`, `Throttling.Api`.
    pub const THROTTLING: &str = "Throttling";
    /// User-level flow control.
    pub const THROTTLING_USER: &str = "Throttling.User";
    /// API-level flow control.
    pub const THROTTLING_API: &str = "Throttling.Api";
    /// A temporary failure (HTTP 503).
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// An unknown server failure (HTTP 500).
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// Another unknown server failure.
    pub const UNKNOWN_ERROR: &str = "UnknownError";
    /// A mandatory parameter is missing.
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    /// A parameter (or the Action/Version pair) is invalid.
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    /// The action does not exist.
    pub const INVALID_ACTION_NOT_FOUND: &str = "InvalidAction.NotFound";
    /// The API does not exist.
    pub const INVALID_API_NOT_FOUND: &str = "InvalidApi.NotFound";
    /// The caller lacks a RAM permission.
    pub const NO_PERMISSION: &str = "NoPermission";
    /// The caller lacks a RAM permission (gateway form).
    pub const FORBIDDEN_RAM: &str = "Forbidden.RAM";
    /// Used by this client for an error body that is not JSON or has no code.
    pub const UNKNOWN: &str = "Unknown";
}

/// How a failure should be treated by retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Flow control: retry after a pause.
    Throttled,
    /// A passing failure (503, 502, 504, connection trouble, timeouts): retry.
    Transient,
    /// An unexplained server failure (500 and other 5xx): retry with care.
    Server,
    /// The request is wrong or not allowed: do not retry.
    Client,
}

/// An error answer from the cloud, as its JSON body describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub http_status: u16,
    /// The error code, e.g. `EntityNotExist.Role`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The request ID, which support needs to find the request.
    pub request_id: Option<String>,
    /// The endpoint host that answered.
    pub host_id: Option<String>,
    /// A troubleshooting URL added by the gateway.
    pub recommend: Option<String>,
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cloud answered with an error.
    #[error("{0}")]
    Api(ApiError),
    /// The request could not be sent or its answer not received.
    #[error("{action} request failed in transport")]
    Transport {
        /// The action being called.
        action: &'static str,
        /// Whether the connection was never made (so nothing was sent).
        connect: bool,
        /// The HTTP client's error (with the URL stripped: it may carry a token).
        #[source]
        source: reqwest::Error,
    },
    /// No answer arrived in time.
    #[error("{action} request timed out")]
    Timeout {
        /// The action being called.
        action: &'static str,
    },
    /// A successful answer could not be understood.
    #[error("could not decode the {action} response")]
    Decode {
        /// The action being called.
        action: &'static str,
        /// The JSON decoder's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A successful answer said the operation did not happen (`"Success": false`).
    #[error("{action} reported no success (RequestId {})", .request_id.as_deref().unwrap_or("unknown"))]
    NotApplied {
        /// The action being called.
        action: &'static str,
        /// The request ID from the answer.
        request_id: Option<String>,
    },
    /// The request was rejected before sending.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client configuration is unusable.
    #[error("invalid client configuration: {0}")]
    InvalidConfig(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient {
        /// The builder's complaint.
        #[source]
        source: reqwest::Error,
    },
    /// No credentials could be loaded.
    #[error("could not load credentials")]
    Credentials(#[from] crate::credentials::Error),
}

/// A rate-limit setting that cannot be used ([`crate::rate_limit`]); the message says what a
/// good one looks like.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidRateLimit {
    /// A `per_second` key is not `<Product>`, `<Product>.<Action>`, `<Product>.*`,
    /// `<Product>.read` or `<Product>.write`.
    #[error("{key:?} is not a rate limit key: {problem}")]
    Key {
        /// The key as written.
        key: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A rate is not a finite number of calls per second in the accepted range.
    #[error(
        "{value} calls per second is not a usable rate: it must be a number from {} to {}",
        crate::rate_limit::MIN_RATE,
        crate::rate_limit::MAX_RATE
    )]
    Rate {
        /// The rate as given.
        value: f64,
    },
}

/// Classifies an error answer by HTTP status and code.
///
/// `Throttling`, `Throttling.*` and HTTP 429 are [`ErrorKind::Throttled`]; `ServiceUnavailable`
/// and HTTP 502/503/504 are [`ErrorKind::Transient`]; `InternalError`, `UnknownError` and any
/// other 5xx are [`ErrorKind::Server`]; everything else is [`ErrorKind::Client`].
pub fn classify(http_status: u16, code: &str) -> ErrorKind {
    if code == codes::THROTTLING || code.starts_with("Throttling.") || http_status == 429 {
        ErrorKind::Throttled
    } else if code == codes::SERVICE_UNAVAILABLE || matches!(http_status, 502..=504) {
        ErrorKind::Transient
    } else if code == codes::INTERNAL_ERROR
        || code == codes::UNKNOWN_ERROR
        || (500..600).contains(&http_status)
    {
        ErrorKind::Server
    } else {
        ErrorKind::Client
    }
}

// === impl ErrorKind ===

impl ErrorKind {
    /// Whether a retry may help.
    pub fn is_retryable(self) -> bool {
        !matches!(self, ErrorKind::Client)
    }
}

// === impl ApiError ===

impl ApiError {
    /// The retry class of this answer; see [`classify`].
    pub fn kind(&self) -> ErrorKind {
        classify(self.http_status, &self.code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (HTTP {}, RequestId {})",
            self.code,
            self.message,
            self.http_status,
            self.request_id.as_deref().unwrap_or("unknown")
        )
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    fn from(api: ApiError) -> Self {
        Error::Api(api)
    }
}

// === impl Error ===

impl Error {
    /// The retry class of this failure.
    ///
    /// Transport failures and timeouts are transient; an undecodable or unsuccessful answer is
    /// a server fault; configuration, input and credential problems are client faults.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api(api) => api.kind(),
            Error::Transport { .. } | Error::Timeout { .. } => ErrorKind::Transient,
            Error::Decode { .. } | Error::NotApplied { .. } => ErrorKind::Server,
            Error::InvalidRequest(_)
            | Error::InvalidConfig(_)
            | Error::HttpClient { .. }
            | Error::Credentials(_) => ErrorKind::Client,
        }
    }

    /// The cloud's error answer, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The cloud's error code, if this is an error answer.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|a| a.code.as_str())
    }

    /// The request ID of the answer, if one arrived.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::NotApplied { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the cloud may have carried out the request despite this failure, so that a
    /// caller must read the state back before assuming it did not happen.
    ///
    /// False for refusals (4xx, throttling) and for failures before anything was sent; true
    /// for 5xx answers, timeouts, broken connections and undecodable successes.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Api(api) => api.http_status >= 500,
            Error::Transport { connect, .. } => !connect,
            Error::Timeout { .. } | Error::Decode { .. } => true,
            Error::NotApplied { .. }
            | Error::InvalidRequest(_)
            | Error::InvalidConfig(_)
            | Error::HttpClient { .. }
            | Error::Credentials(_) => false,
        }
    }

    /// Whether the error is an answer with code `code`.
    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }
}

/// Writes `error` and each of its causes, separated by `: `, for logs.
pub fn display_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cause = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let table: &[(u16, &str, ErrorKind)] = &[
            (400, "Throttling", ErrorKind::Throttled),
            (400, "Throttling.User", ErrorKind::Throttled),
            (400, "Throttling.Api", ErrorKind::Throttled),
            (429, "Whatever", ErrorKind::Throttled),
            (503, "Throttling", ErrorKind::Throttled),
            (503, "ServiceUnavailable", ErrorKind::Transient),
            (400, "ServiceUnavailable", ErrorKind::Transient),
            (502, "Unknown", ErrorKind::Transient),
            (503, "Unknown", ErrorKind::Transient),
            (504, "Unknown", ErrorKind::Transient),
            (500, "InternalError", ErrorKind::Server),
            (400, "InternalError", ErrorKind::Server),
            (500, "UnknownError", ErrorKind::Server),
            (501, "NotImplemented", ErrorKind::Server),
            (599, "X", ErrorKind::Server),
            (400, "SignatureDoesNotMatch", ErrorKind::Client),
            (400, "SignatureNonceUsed", ErrorKind::Client),
            (400, "InvalidTimeStamp.Expired", ErrorKind::Client),
            (404, "InvalidAccessKeyId.NotFound", ErrorKind::Client),
            (404, "EntityNotExist.Role", ErrorKind::Client),
            (409, "EntityAlreadyExists.Role", ErrorKind::Client),
            (403, "Forbidden.CrossAccountRole", ErrorKind::Client),
            (403, "NoPermission", ErrorKind::Client),
            (400, "ThrottlingX", ErrorKind::Client),
        ];
        for (status, code, kind) in table {
            assert_eq!(classify(*status, code), *kind, "{status} {code}");
        }
    }

    fn api(status: u16, code: &str) -> ApiError {
        ApiError {
            http_status: status,
            code: code.to_owned(),
            message: "The role does not exist.".to_owned(),
            request_id: Some("REQ-1".to_owned()),
            host_id: None,
            recommend: None,
        }
    }

    #[test]
    fn api_error_display_shows_the_request_id() {
        let e = Error::from(api(404, "EntityNotExist.Role"));
        assert_eq!(
            e.to_string(),
            "EntityNotExist.Role: The role does not exist. (HTTP 404, RequestId REQ-1)"
        );
        assert_eq!(e.code(), Some("EntityNotExist.Role"));
        assert_eq!(e.request_id(), Some("REQ-1"));
        assert!(e.is_code("EntityNotExist.Role"));
        assert_eq!(e.kind(), ErrorKind::Client);
        assert!(!e.may_have_been_applied());
        let mut no_id = api(500, "InternalError");
        no_id.request_id = None;
        assert!(no_id.to_string().ends_with("(HTTP 500, RequestId unknown)"));
        assert!(Error::from(no_id).may_have_been_applied());
    }

    #[test]
    fn non_api_errors_have_kinds_and_chains() {
        let timeout = Error::Timeout { action: "GetRole" };
        assert_eq!(timeout.kind(), ErrorKind::Transient);
        assert!(timeout.may_have_been_applied());
        assert_eq!(timeout.code(), None);
        let decode = Error::Decode {
            action: "GetRole",
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert_eq!(decode.to_string(), "could not decode the GetRole response");
        let chain = display_chain(&decode);
        assert!(
            chain.starts_with("could not decode the GetRole response: expected"),
            "{chain}"
        );
        assert_eq!(
            Error::InvalidRequest("x".to_owned()).kind(),
            ErrorKind::Client
        );
        assert!(!ErrorKind::Client.is_retryable());
        assert!(ErrorKind::Server.is_retryable());
    }
}
