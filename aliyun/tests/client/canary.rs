//! Canary tests: a marker secret and token go through failing calls (an HTTP 400 that echoes
//! the server's string to sign, and a refused connection); neither the error's Display, Debug
//! and source chain nor the logs captured at TRACE contain them in any encoding.

use std::io;
use std::sync::{Arc, Mutex};

use crossbind_aliyun::client::SignatureVersion;
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::error::display_chain;
use crossbind_aliyun::sign::percent_encode;

use super::client_for;
use super::server::{Canned, MockServer};

const SECRET: &str = "MARKER-SECRET-1f2e3d4c";
const TOKEN: &str = "MARKER+TOKEN/9a8b7c6d=";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

// === impl Captured ===

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

fn every_form() -> Vec<String> {
    let mut forms = Vec::new();
    for marker in [SECRET, TOKEN] {
        let once = percent_encode(marker);
        let twice = percent_encode(&once);
        forms.extend([marker.to_owned(), once, twice]);
    }
    // The distinctive cores, in case something re-encodes differently.
    forms.extend(["1f2e3d4c".to_owned(), "9a8b7c6d".to_owned()]);
    forms
}

fn assert_clean(what: &str, text: &str) {
    for form in every_form() {
        assert!(!text.contains(&form), "{what} leaks {form:?}:\n{text}");
    }
}

fn marker_credentials() -> Credentials {
    Credentials::new("STS.canary", SECRET).with_security_token(TOKEN)
}

/// A `SignatureDoesNotMatch` answer whose message embeds a V2 string to sign holding the token,
/// as the real gateway's does.
fn signature_mismatch() -> Canned {
    let twice = percent_encode(&percent_encode(TOKEN));
    let message = format!(
        "Specified signature is not matched with our calculation. server string to sign is:\
         POST&%2F&AccessKeyId%3DSTS.canary%26SecurityToken%3D{twice}%26X%3D{TOKEN}%26Y%3D{SECRET}"
    );
    Canned::error(400, "SignatureDoesNotMatch", &message)
}

#[tokio::test]
async fn a_failed_v2_call_leaks_nothing() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start(vec![signature_mismatch()]).await;
    let client = client_for(server.url(), SignatureVersion::V2, marker_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(err.to_string().contains("[REDACTED]"), "{err}");
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?} {err:#?}"));
    assert_clean("chain", &display_chain(&err));
    assert_clean("client Debug", &format!("{client:?}"));
    let logs = logs.text();
    assert!(
        logs.contains("v2 string to sign"),
        "nothing captured:\n{logs}"
    );
    assert!(
        logs.contains("[REDACTED]"),
        "token not shown redacted:\n{logs}"
    );
    assert_clean("logs", &logs);
    // The token really went over the wire, so the checks above are meaningful.
    assert_eq!(
        server.requests()[0].param("SecurityToken").as_deref(),
        Some(TOKEN)
    );
}

#[tokio::test]
async fn a_failed_v3_call_leaks_nothing() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start(vec![signature_mismatch()]).await;
    let client = client_for(server.url(), SignatureVersion::V3, marker_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_eq!(err.api().map(|a| a.http_status), Some(400));
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("chain", &display_chain(&err));
    let logs = logs.text();
    assert!(
        logs.contains("v3 string to sign"),
        "nothing captured:\n{logs}"
    );
    assert_clean("logs", &logs);
    assert_eq!(
        server.requests()[0].header("x-acs-security-token"),
        Some(TOKEN)
    );
}

#[tokio::test]
async fn a_transport_failure_leaks_nothing() {
    let (logs, _guard) = capture_logs();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = client_for(&url, SignatureVersion::V2, marker_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?} {err:#?}"));
    assert_clean("chain", &display_chain(&err));
    assert_clean("logs", &logs.text());
}
