//! A tiny HTTP/1.1 server on 127.0.0.1:0 for client tests: answers canned responses in order
//! (repeating the last) and records each raw request. One request per connection.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

/// A canned answer.
#[derive(Clone, Debug)]
pub(crate) struct Canned {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

/// A request as it arrived on the wire.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    /// The raw request target, e.g. `/?Action=GetRole&...`.
    pub(crate) target: String,
    /// Lower-case header names.
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: String,
}

pub(crate) struct MockServer {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

// === impl Canned ===

impl Canned {
    pub(crate) fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// An error body in the gateway's shape.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Self {
        let body = serde_json::json!({
            "RequestId": format!("REQ-{code}"),
            "HostId": "mock.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
        });
        Self::json(status, body.to_string())
    }

    /// A fixture from `tests/data/responses/<action>.json` with status 200.
    pub(crate) fn fixture(action: &str) -> Self {
        let path = format!(
            "{}/tests/data/responses/{action}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Self::json(200, body)
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

// === impl Recorded ===

impl Recorded {
    /// Query and form parameters, decoded the way a server does (`+` is a space).
    pub(crate) fn params(&self) -> BTreeMap<String, String> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let mut out: BTreeMap<String, String> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .expect("query decodes")
                .into_iter()
                .collect();
        if !self.body.is_empty() {
            let form: Vec<(String, String)> =
                serde_urlencoded::from_str(&self.body).expect("form decodes");
            out.extend(form);
        }
        out
    }

    pub(crate) fn param(&self, key: &str) -> Option<String> {
        self.params().get(key).cloned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

// === impl MockServer ===

impl MockServer {
    pub(crate) async fn start(responses: Vec<Canned>) -> Self {
        assert!(!responses.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(
            async move {
                let mut served = 0usize;
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let canned = responses[served.min(responses.len() - 1)].clone();
                    served += 1;
                    let mut stream = stream;
                    let Some(request) = read_request(&mut stream).await else {
                        continue;
                    };
                    // Recorded before answering, so the client never sees an answer first.
                    recorded.lock().unwrap().push(request);
                    write_response(stream, &canned).await;
                }
            }
            .instrument(tracing::info_span!("mock_server")),
        );
        Self {
            url,
            requests,
            task,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

async fn write_response(mut stream: TcpStream, canned: &Canned) {
    let mut response = format!(
        "HTTP/1.1 {} Mock\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        canned.status,
        canned.body.len()
    );
    for (k, v) in &canned.headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&canned.body);
    if stream.write_all(response.as_bytes()).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}
