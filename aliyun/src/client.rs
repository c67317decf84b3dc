//! The HTTP client for RPC-style APIs: builds a request, waits for the client-side rate limit,
//! signs it (V2 or V3, with a fresh nonce and timestamp on every attempt), sends it, turns error
//! answers into [`ApiError`]s and retries per the [`RetryPolicy`]. Typed calls live in the
//! product modules; this one knows no actions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tracing::instrument;

use crate::clock::{Clock, SystemClock, format_timestamp};
use crate::credentials::Credentials;
use crate::endpoint::{Endpoints, Product};
use crate::error::{ApiError, Error, Result, codes};
use crate::ids::RegionId;
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::retry::{self, Failure, RetryPolicy};
use crate::sign;

/// How long one attempt may take, connection included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `User-Agent` this client sends.
pub const USER_AGENT: &str = concat!("crossbind-aliyun/", env!("CARGO_PKG_VERSION"));

/// Parameters the client adds itself in V2; a request may not set them.
const V2_COMMON: [&str; 10] = [
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
];

/// Secrets shorter than this are not searched for when scrubbing text.
const MIN_REDACTED_LEN: usize = 6;

/// The longest piece of a non-JSON error body kept as the message.
const MAX_RAW_MESSAGE: usize = 300;

/// Which signature algorithm to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureVersion {
    /// RPC signature 1.0, HMAC-SHA1, parameters in the query.
    #[default]
    V2,
    /// ACS3-HMAC-SHA256, signed headers and an `Authorization` header.
    V3,
}

/// How a [`Client`] reaches the cloud.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The region of regional products (STS, EMR, DataWorks) and of EMR's `RegionId`.
    pub region: RegionId,
    /// Where requests go.
    pub endpoints: Endpoints,
    /// The signature algorithm.
    pub signature: SignatureVersion,
    /// How failed calls are retried.
    pub retry: RetryPolicy,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How calls are paced; every attempt of a call takes a token.
    pub rate_limits: RateLimits,
}

/// The HTTP method of an RPC request; both are accepted by these gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: everything in the query.
    Get,
    /// `POST`: query plus an optional form body.
    Post,
}

/// One RPC call before signing. Its `Debug` shows parameter names, and values only when the
/// request is not marked sensitive.
#[derive(Clone)]
pub struct RpcRequest {
    /// The product, which picks the endpoint.
    pub product: Product,
    /// The action, e.g. `GetRole`.
    pub action: &'static str,
    /// The API version, e.g. `2015-05-01`.
    pub version: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// Business parameters sent in the URL query.
    pub query: BTreeMap<String, String>,
    /// Business parameters sent as an `application/x-www-form-urlencoded` body (POST only).
    pub form: BTreeMap<String, String>,
    /// Whether a parameter carries a secret (e.g. a cluster account password): the string to
    /// sign is then never traced and `Debug` hides the values.
    pub sensitive: bool,
}

/// A signed request, ready to send: what goes on the wire.
///
/// The URL (V2) or a header (V3) can carry the STS security token, so its `Debug` shows only
/// the method, the URL without its query, header names and the body length.
#[derive(Clone)]
pub struct PreparedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// Headers to send, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The form body; empty when there is none.
    pub body: String,
}

/// Where a [`Client`] takes each request's `SignatureNonce` from. The default draws a fresh
/// random UUID for every attempt; tests inject a fixed one to exercise the cloud's replay check.
pub type NonceSource = Arc<dyn Fn() -> String + Send + Sync>;

/// An Alibaba Cloud RPC client for one set of credentials. Cheap to clone; clones share one
/// [`RateLimiter`], so the rate limits of a client are those of its account.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    credentials: Arc<Credentials>,
    clock: Arc<dyn Clock>,
    nonces: NonceSource,
    limiter: RateLimiter,
    config: ClientConfig,
}

// === impl SignatureVersion ===

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureVersion::V2 => "v2",
            SignatureVersion::V3 => "v3",
        })
    }
}

// === impl ClientConfig ===

impl ClientConfig {
    /// Public endpoints in `region`, V2 signatures, the default retry policy and timeout, and
    /// the published rate limits.
    pub fn new(region: RegionId) -> Self {
        Self {
            region,
            endpoints: Endpoints::default(),
            signature: SignatureVersion::default(),
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            rate_limits: RateLimits::default(),
        }
    }
}

// === impl Method ===

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl RpcRequest ===

impl RpcRequest {
    /// A POST request for `action` of `product` at API `version`, with no parameters yet.
    pub fn new(product: Product, action: &'static str, version: &'static str) -> Self {
        Self {
            product,
            action,
            version,
            method: Method::Post,
            query: BTreeMap::new(),
            form: BTreeMap::new(),
            sensitive: false,
        }
    }

    /// Marks the request as carrying a secret parameter: no traced string to sign, no values
    /// in `Debug`.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Sets the HTTP method.
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Adds a query parameter.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.insert(key.into(), value.into());
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn opt_param(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.param(key, v.to_string()),
            None => self,
        }
    }

    /// Adds a form-body parameter.
    pub fn form_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.form.insert(key.into(), value.into());
        self
    }

    /// Adds a list as `name.1`, `name.2`, … query parameters.
    pub fn list_param<I, V>(mut self, name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        for (i, v) in values.into_iter().enumerate() {
            self.query.insert(format!("{name}.{}", i + 1), v.into());
        }
        self
    }

    fn validate(&self, signature: SignatureVersion) -> Result<()> {
        if self.method == Method::Get && !self.form.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "{} is a GET request and cannot have a form body",
                self.action
            )));
        }
        if let Some(key) = self.query.keys().find(|k| self.form.contains_key(*k)) {
            return Err(Error::InvalidRequest(format!(
                "parameter {key} is in both the query and the form body"
            )));
        }
        let reserved = self
            .query
            .keys()
            .chain(self.form.keys())
            .find(|k| V2_COMMON.contains(&k.as_str()));
        if let Some(key) = reserved {
            return Err(Error::InvalidRequest(format!(
                "parameter {key} is set by the client itself ({signature} signing)"
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for RpcRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RpcRequest");
        d.field("product", &self.product)
            .field("action", &self.action)
            .field("version", &self.version)
            .field("method", &self.method);
        if self.sensitive {
            d.field("query", &self.query.keys().collect::<Vec<_>>())
                .field("form", &self.form.keys().collect::<Vec<_>>());
        } else {
            d.field("query", &self.query).field("form", &self.form);
        }
        d.field("sensitive", &self.sensitive).finish()
    }
}

// === impl PreparedRequest ===

impl PreparedRequest {
    /// The value of header `name` (lower-case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let without_query = self.url.split('?').next().unwrap_or_default();
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("url", &without_query)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

// === impl Client ===

impl Client {
    /// A client for `credentials` configured by `config`, reading the system clock, with a
    /// new rate limiter for `config.rate_limits`.
    pub fn new(credentials: Credentials, config: ClientConfig) -> Result<Self> {
        if let Some(url) = config.endpoints.override_url() {
            let parsed = reqwest::Url::parse(url)
                .map_err(|_| Error::InvalidConfig(format!("endpoint {url:?} is not a URL")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(Error::InvalidConfig(format!(
                    "endpoint {url:?} must be an http or https URL with a host"
                )));
            }
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT);
        if config.endpoints.override_url().is_some() {
            // The override is the local emulator; a proxy from the environment must not intercept it.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|source| Error::HttpClient { source })?;
        Ok(Self {
            http,
            credentials: Arc::new(credentials),
            clock: Arc::new(SystemClock),
            nonces: Arc::new(|| uuid::Uuid::new_v4().to_string()),
            limiter: RateLimiter::new(config.rate_limits.clone()),
            config,
        })
    }

    /// Paces calls with `limiter` instead of the one built from the configuration, e.g. to
    /// share one account's budget between clients built apart. [`Client::config`] still shows
    /// the configured `rate_limits`, which this limiter need not follow.
    pub fn with_rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// The rate limiter this client (and its clones) paces calls with.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Uses `nonces` for every request's `SignatureNonce` instead of random UUIDs.
    pub fn with_nonces(mut self, nonces: NonceSource) -> Self {
        self.nonces = nonces;
        self
    }

    /// Uses `clock` for request timestamps.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same client aimed at another region, still sharing its rate limiter.
    pub fn with_region(mut self, region: RegionId) -> Self {
        self.config.region = region;
        self
    }

    /// The configured region.
    pub fn region(&self) -> &RegionId {
        &self.config.region
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The AccessKey ID in use (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.credentials.access_key_id
    }

    /// Sends `req` and returns the JSON body of the successful answer, retrying per policy.
    /// Each attempt first waits for a token of the rate limiter.
    #[instrument(name = "aliyun", skip_all, fields(product = %req.product, action = req.action))]
    pub async fn call(&self, req: RpcRequest) -> Result<Value> {
        req.validate(self.config.signature)?;
        let req = &req;
        retry::run(&self.config.retry, |attempt| async move {
            // Before signing, so that the timestamp is taken after any wait.
            self.limiter.acquire(req.product, req.action).await;
            let prepared = self.prepare(req).map_err(|error| Failure {
                error,
                retry_after: None,
            })?;
            tracing::debug!(attempt, method = %prepared.method, "sending");
            self.send(req.action, prepared).await
        })
        .await
    }

    /// Signs `req` with the clock's time and the next nonce, without sending it.
    pub fn prepare(&self, req: &RpcRequest) -> Result<PreparedRequest> {
        let nonce = (self.nonces)();
        self.prepare_with(req, &nonce, self.clock.now())
    }

    /// Signs `req` with the given nonce and time, without sending it.
    pub fn prepare_with(
        &self,
        req: &RpcRequest,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<PreparedRequest> {
        req.validate(self.config.signature)?;
        let base = self.config.endpoints.url(req.product, &self.config.region);
        match self.config.signature {
            SignatureVersion::V2 => Ok(self.prepare_v2(req, base, nonce, now)),
            SignatureVersion::V3 => self.prepare_v3(req, base, nonce, now),
        }
    }

    /// Calls and decodes the answer into `T`.
    pub(crate) async fn call_as<T: DeserializeOwned>(&self, req: RpcRequest) -> Result<T> {
        let action = req.action;
        let body = self.call(req).await?;
        serde_json::from_value(body).map_err(|source| Error::Decode { action, source })
    }

    /// Calls and decodes the answer, mapping an error answer that `is_absent` accepts to `None`.
    pub(crate) async fn call_optional<T: DeserializeOwned>(
        &self,
        req: RpcRequest,
        is_absent: impl Fn(&ApiError) -> bool,
    ) -> Result<Option<T>> {
        match self.call_as(req).await {
            Ok(value) => Ok(Some(value)),
            Err(Error::Api(api)) if is_absent(&api) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn prepare_v2(
        &self,
        req: &RpcRequest,
        base: String,
        nonce: &str,
        now: OffsetDateTime,
    ) -> PreparedRequest {
        let creds = &self.credentials;
        let mut query = req.query.clone();
        let common = [
            ("AccessKeyId", creds.access_key_id.as_str()),
            ("Action", req.action),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("Version", req.version),
        ];
        for (k, v) in common {
            query.insert(k.to_owned(), v.to_owned());
        }
        query.insert("Timestamp".to_owned(), format_timestamp(now));
        if let Some(token) = &creds.security_token {
            query.insert("SecurityToken".to_owned(), token.expose().to_owned());
        }
        let mut signed = query.clone();
        signed.extend(req.form.clone());
        let string_to_sign = sign::v2_string_to_sign(req.method.as_str(), &signed);
        if !req.sensitive {
            tracing::trace!(
                string_to_sign = %self.redacted(&string_to_sign),
                "v2 string to sign"
            );
        }
        let signature = sign::v2_signature(creds.access_key_secret.expose(), &string_to_sign);
        let url = format!(
            "{base}?{}&Signature={}",
            sign::v2_canonical_query(&query),
            sign::percent_encode(&signature)
        );
        let body = sign::v2_canonical_query(&req.form);
        let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if !body.is_empty() {
            headers.push((
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        PreparedRequest {
            method: req.method,
            url,
            headers,
            body,
        }
    }

    fn prepare_v3(
        &self,
        req: &RpcRequest,
        base: String,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<PreparedRequest> {
        let creds = &self.credentials;
        let parsed = reqwest::Url::parse(&base)
            .map_err(|_| Error::InvalidConfig(format!("endpoint {base:?} is not a URL")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(port)) => format!("{h}:{port}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => {
                return Err(Error::InvalidConfig(format!(
                    "endpoint {base:?} has no host"
                )));
            }
        };
        let body = sign::v2_canonical_query(&req.form);
        let payload_hash = sign::sha256_hex(body.as_bytes());
        let mut headers: BTreeMap<String, String> = [
            ("host", host),
            ("x-acs-action", req.action.to_owned()),
            ("x-acs-version", req.version.to_owned()),
            ("x-acs-date", format_timestamp(now)),
            ("x-acs-signature-nonce", nonce.to_owned()),
            ("x-acs-content-sha256", payload_hash.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(token) = &creds.security_token {
            headers.insert("x-acs-security-token".to_owned(), token.expose().to_owned());
        }
        if !body.is_empty() {
            headers.insert(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            );
        }
        let signed_headers: Vec<String> = headers.keys().cloned().collect();
        let canonical = sign::v3_canonical_request(&sign::V3Request {
            method: req.method.as_str(),
            path: "/",
            query: &req.query,
            headers: &headers,
            signed_headers: &signed_headers,
            payload_sha256_hex: &payload_hash,
        });
        let string_to_sign = sign::v3_string_to_sign(&canonical);
        if !req.sensitive {
            tracing::trace!(
                canonical_request = %self.redacted(&canonical),
                string_to_sign = %string_to_sign,
                "v3 string to sign"
            );
        }
        let signature = sign::v3_signature(creds.access_key_secret.expose(), &string_to_sign);
        let authorization =
            sign::v3_authorization(&creds.access_key_id, &signed_headers, &signature);
        let mut headers: Vec<(String, String)> = headers.into_iter().collect();
        headers.push(("accept".to_owned(), "application/json".to_owned()));
        headers.push(("authorization".to_owned(), authorization));
        let url = if req.query.is_empty() {
            base
        } else {
            format!("{base}?{}", sign::v2_canonical_query(&req.query))
        };
        Ok(PreparedRequest {
            method: req.method,
            url,
            headers,
            body,
        })
    }

    async fn send(
        &self,
        action: &'static str,
        prepared: PreparedRequest,
    ) -> std::result::Result<Value, Failure> {
        let failure = |error| Failure {
            error,
            retry_after: None,
        };
        let method = match prepared.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.http.request(method, &prepared.url);
        for (name, value) in &prepared.headers {
            let header = HeaderName::from_bytes(name.as_bytes());
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                failure(Error::InvalidRequest(format!(
                    "header {name} has a value that cannot be sent"
                )))
            })?;
            if matches!(name.as_str(), "authorization" | "x-acs-security-token") {
                value.set_sensitive(true);
            }
            let header = header.map_err(|_| {
                failure(Error::InvalidRequest(format!(
                    "header name {name:?} is invalid"
                )))
            })?;
            builder = builder.header(header, value);
        }
        if !prepared.body.is_empty() {
            builder = builder.body(prepared.body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| failure(transport_error(action, e)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs);
        let header_request_id = response
            .headers()
            .get("x-acs-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| failure(transport_error(action, e)))?;
        tracing::debug!(status, "answered");
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|source| failure(Error::Decode { action, source }));
        }
        let api = self.api_error(status, &bytes, header_request_id);
        Err(Failure {
            error: Error::from(api),
            retry_after,
        })
    }

    /// Builds an [`ApiError`] from an error body, scrubbing any credential the server echoed
    /// (a `SignatureDoesNotMatch` message embeds the server's string to sign, and in V2 that
    /// contains the STS token).
    fn api_error(&self, status: u16, body: &[u8], header_request_id: Option<String>) -> ApiError {
        let json: Option<serde_json::Map<String, Value>> = serde_json::from_slice(body).ok();
        let field = |name: &str| -> Option<String> {
            let map = json.as_ref()?;
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
        };
        let message = match (&json, field("Message")) {
            (_, Some(m)) => m,
            (Some(_), None) => String::new(),
            (None, None) => {
                let text = String::from_utf8_lossy(body);
                text.chars().take(MAX_RAW_MESSAGE).collect()
            }
        };
        ApiError {
            http_status: status,
            code: field("Code")
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| codes::UNKNOWN.to_owned()),
            message: self.redacted(&message).to_string(),
            request_id: field("RequestId").or(header_request_id),
            host_id: field("HostId"),
            recommend: field("Recommend").map(|r| self.redacted(&r).to_string()),
        }
    }

    fn redacted<'a>(&'a self, text: &'a str) -> Redacted<'a> {
        Redacted {
            text,
            credentials: &self.credentials,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("access_key_id", &self.credentials.access_key_id)
            .field("region", &self.config.region)
            .field("endpoints", &self.config.endpoints)
            .field("signature", &self.config.signature)
            .finish_non_exhaustive()
    }
}

/// Text with every form of the secret and token (raw, encoded once, encoded twice) replaced.
struct Redacted<'a> {
    text: &'a str,
    credentials: &'a Credentials,
}

// === impl Redacted ===

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.text.to_owned();
        let secrets = std::iter::once(self.credentials.access_key_secret.expose())
            .chain(self.credentials.security_token.iter().map(|t| t.expose()))
            // Shorter values would mangle ordinary text and cannot be real keys or tokens.
            .filter(|s| s.len() >= MIN_REDACTED_LEN);
        for secret in secrets {
            let once = sign::percent_encode(secret);
            let twice = sign::percent_encode(&once);
            // Longest first, so a raw form inside an encoded one cannot leave a remainder.
            for form in [twice, once, secret.to_owned()] {
                if text.contains(&form) {
                    text = text.replace(&form, "[REDACTED]");
                }
            }
        }
        f.write_str(&text)
    }
}

fn transport_error(action: &'static str, error: reqwest::Error) -> Error {
    if error.is_timeout() {
        return Error::Timeout { action };
    }
    Error::Transport {
        action,
        connect: error.is_connect(),
        // The URL of a V2 request carries the security token.
        source: error.without_url(),
    }
}

#[cfg(test)]
mod tests;
