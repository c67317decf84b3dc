//! HTTP plumbing: the axum router with the API endpoint `/` (any method), the unsigned,
//! read-only inspection endpoint `GET /_cloudsim/state`, the unsigned test endpoints
//! `POST /_cloudsim/clusters/<id>/config` and `POST /_cloudsim/clusters/<id>/state`, and
//! `serve` on a bound listener.
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
use crate::world::ClusterState;

/// The inspection path.
pub const STATE_PATH: &str = "/_cloudsim/state";

/// The prefix of the test endpoints `POST /_cloudsim/clusters/<id>/config` and `.../state`.
pub const CLUSTERS_PATH: &str = "/_cloudsim/clusters";

/// The body of `POST /_cloudsim/clusters/<id>/config`: one configuration item to set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigChange {
    file: String,
    key: String,
    value: String,
}

/// The body of `POST /_cloudsim/clusters/<id>/state`: the EMR 2021 `ClusterState` to enter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateChange {
    #[serde(rename = "State")]
    state: String,
}

/// The emulator's routes: `/` for the cloud APIs, [`STATE_PATH`] for inspection, and two test
/// endpoints that change a cluster (404 `{"Message"}` for an unknown cluster, 400 `{"Message"}`
/// for a bad body):
///
/// - `POST /_cloudsim/clusters/<id>/config` with JSON `{"file", "key", "value"}` sets one
///   configuration item; answers `{"ClusterId", "ConfigVersion"}`.
/// - `POST /_cloudsim/clusters/<id>/state` with JSON `{"State": "TERMINATED"}` (any EMR 2021
///   `ClusterState`) puts the cluster in that state; answers `{"ClusterId", "State",
///   "PreviousState"}`.
pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/", any(api))
        .route(STATE_PATH, get(inspect))
        .route(&format!("{CLUSTERS_PATH}/{{id}}/config"), post(set_config))
        .route(&format!("{CLUSTERS_PATH}/{{id}}/state"), post(set_state))
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

async fn set_state(State(sim): State<Sim>, Path(id): Path<String>, body: Bytes) -> Response {
    let valid = || {
        ClusterState::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let word = match serde_json::from_slice::<StateChange>(&body) {
        Ok(change) => change.state,
        Err(_) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "Message": format!("The body must be JSON {{\"State\": \"<ClusterState>\"}} with one of {}.", valid()) }),
            );
        }
    };
    let Some(new_state) = ClusterState::from_wire(&word) else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "Message": format!("{word:?} is not an EMR cluster state; use one of {}.", valid()) }),
        );
    };
    match sim.set_cluster_state(&id, new_state) {
        Some(previous) => answer(
            StatusCode::OK,
            json!({ "ClusterId": id, "State": new_state.as_str(), "PreviousState": previous.as_str() }),
        ),
        None => answer(
            StatusCode::NOT_FOUND,
            json!({ "Message": format!("No cluster {id}.") }),
        ),
    }
}

/// A test endpoint's answer.
fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    json_response(Answer {
        status,
        body,
        delay: Duration::ZERO,
    })
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
