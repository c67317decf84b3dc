//! HTTP plumbing: the axum router with the API endpoint `/` (any method), the unsigned,
//! read-only inspection endpoint `GET /_cloudsim/state`, the unsigned test endpoint
//! `POST /_cloudsim/clusters/<id>/config`, and `serve` on a bound listener.
//! It decodes, waits out injected latency and encodes; `Sim` decides every answer.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::json;
use tracing::info;

use crate::request::ApiRequest;
use crate::sim::{Answer, Sim};

/// The inspection path.
pub const STATE_PATH: &str = "/_cloudsim/state";

/// The prefix of the test endpoint `POST /_cloudsim/clusters/<id>/config`.
pub const CLUSTERS_PATH: &str = "/_cloudsim/clusters";

/// The body of `POST /_cloudsim/clusters/<id>/config`: one configuration item to set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigChange {
    file: String,
    key: String,
    value: String,
}

/// The emulator's routes: `/` for the cloud APIs, [`STATE_PATH`] for inspection and
/// `POST /_cloudsim/clusters/<id>/config` (JSON `{"file", "key", "value"}`) for tests to change
/// a cluster's configuration (answers `{"ClusterId", "ConfigVersion"}`; 404 for an unknown
/// cluster, 400 for a bad body).
pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/", any(api))
        .route(STATE_PATH, get(inspect))
        .route(&format!("{CLUSTERS_PATH}/{{id}}/config"), post(set_config))
        .with_state(sim)
}

/// Serves [`router`] on `listener` until the process ends or the future is dropped. The
/// start-up line (info) names the address and the faults in force.
pub async fn serve(listener: tokio::net::TcpListener, sim: Sim) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let settings = sim.settings();
        let faults = &settings.faults;
        let actions = faults
            .actions
            .as_ref()
            .map_or_else(|| String::from("all"), |a| format!("[{}]", a.join(",")));
        info!(
            %addr,
            faults.throttle_rate = faults.throttle_rate,
            faults.server_error_rate = faults.server_error_rate,
            faults.latency_ms = faults.latency_ms,
            faults.seed = faults.seed,
            faults.actions = %actions,
            role_propagation_seconds = settings.role_propagation_seconds,
            "cloudsim listening"
        );
    }
    axum::serve(listener, router(sim)).await
}

async fn api(
    State(sim): State<Sim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let answer = match ApiRequest::parse(&method, uri.query(), headers, body.to_vec()) {
        Ok(req) => sim.handle(&req),
        Err(e) => sim.reject_undecodable(&e, &host),
    };
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    json_response(answer)
}

async fn inspect(State(sim): State<Sim>) -> Response {
    json_response(Answer {
        status: StatusCode::OK,
        body: sim.snapshot(),
        delay: Duration::ZERO,
    })
}

async fn set_config(State(sim): State<Sim>, Path(id): Path<String>, body: Bytes) -> Response {
    let answer = |status: StatusCode, body| {
        json_response(Answer {
            status,
            body,
            delay: Duration::ZERO,
        })
    };
    let change = match serde_json::from_slice::<ConfigChange>(&body) {
        Ok(c) if !c.file.is_empty() && !c.key.is_empty() => c,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "Message": "The body must be JSON {\"file\", \"key\", \"value\"} with a non-empty file and key." }),
            );
        }
    };
    match sim.set_cluster_config(&id, &change.file, &change.key, &change.value) {
        Some(version) => answer(
            StatusCode::OK,
            json!({ "ClusterId": id, "ConfigVersion": version }),
        ),
        None => answer(
            StatusCode::NOT_FOUND,
            json!({ "Message": format!("No cluster {id}.") }),
        ),
    }
}

fn json_response(answer: Answer) -> Response {
    let mut response = (answer.status, answer.body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crossbind_aliyun::clock::FixedClock;
    use crossbind_aliyun::sign::{
        percent_encode, v2_canonical_query, v2_signature, v2_string_to_sign,
    };
    use time::macros::datetime;

    use super::*;
    use crate::world::{Faults, World};

    const KEY_ID: &str = "LTAI5tProviderB0000000001";
    const SECRET: &str = "cloudsimProviderBSecretKey000001";

    fn sim(faults: Faults) -> Sim {
        let mut world = World::default_world();
        world.settings.faults = faults;
        let clock = Arc::new(FixedClock::new(datetime!(2026-01-15 08:30:00 UTC)));
        Sim::new(world, clock)
    }

    /// A signed V2 GET of `action` (RAM or STS, no business parameters) with `secret`.
    fn uri(action: &str, version: &str, nonce: &str, secret: &str) -> Uri {
        let params: BTreeMap<String, String> = [
            ("Action", action),
            ("Version", version),
            ("Format", "JSON"),
            ("AccessKeyId", KEY_ID),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("Timestamp", "2026-01-15T08:30:00Z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let signature = v2_signature(secret, &v2_string_to_sign("GET", &params));
        let query = v2_canonical_query(&params);
        format!("/?{query}&Signature={}", percent_encode(&signature))
            .parse()
            .unwrap()
    }

    /// Sends `uri` to the API handler; returns the status and the (virtual) time it took.
    async fn timed(sim: &Sim, uri: Uri) -> (StatusCode, std::time::Duration) {
        let start = tokio::time::Instant::now();
        let response = api(
            State(sim.clone()),
            Method::GET,
            uri,
            HeaderMap::new(),
            Bytes::new(),
        )
        .await;
        (response.status(), start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn injected_latency_is_waited_before_answering() {
        let sim = sim(Faults {
            latency_ms: 1500,
            actions: Some(vec![String::from("ListRoles")]),
            ..Faults::default()
        });
        let (status, took) = timed(&sim, uri("ListRoles", "2015-05-01", "n1", SECRET)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(took >= Duration::from_millis(1500), "{took:?}");
        assert!(took < Duration::from_millis(1600), "{took:?}");

        // Out of scope, or refused before faults are decided: no wait.
        let (status, took) =
            timed(&sim, uri("GetCallerIdentity", "2015-04-01", "n2", SECRET)).await;
        assert_eq!((status, took), (StatusCode::OK, Duration::ZERO));
        let (status, took) = timed(&sim, uri("ListRoles", "2015-05-01", "n3", "wrong")).await;
        assert_eq!((status, took), (StatusCode::BAD_REQUEST, Duration::ZERO));
    }
}
