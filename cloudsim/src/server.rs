//! HTTP plumbing: the axum router with the API endpoint `/` (any method) and the unsigned,
//! read-only inspection endpoint `GET /_cloudsim/state`, and `serve` on a bound listener.
//! It decodes and encodes only; `Sim` decides every answer.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tracing::info;

use crate::request::ApiRequest;
use crate::sim::{Answer, Sim};

/// The inspection path.
pub const STATE_PATH: &str = "/_cloudsim/state";

/// The emulator's routes: `/` for the cloud APIs and [`STATE_PATH`] for inspection.
pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/", any(api))
        .route(STATE_PATH, get(inspect))
        .with_state(sim)
}

/// Serves [`router`] on `listener` until the process ends or the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, sim: Sim) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "cloudsim listening");
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
    json_response(answer)
}

async fn inspect(State(sim): State<Sim>) -> Response {
    json_response(Answer {
        status: StatusCode::OK,
        body: sim.snapshot(),
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
