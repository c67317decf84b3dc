//! Test harness: starts the emulator on 127.0.0.1:0 with a fixed clock and signs requests
//! with the `crossbind_aliyun::sign` functions (V2 and V3), GET or POST, query or form body.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbind_aliyun::clock::{Clock, FixedClock, format_timestamp};
use crossbind_aliyun::sign::{
    V3Request, sha256_hex, v2_canonical_query, v2_signature, v2_string_to_sign, v3_authorization,
    v3_canonical_request, v3_signature, v3_string_to_sign,
};
use crossbind_cloudsim::{Sim, World};
use serde_json::Value;
use time::macros::datetime;
use tracing::Instrument as _;

pub(crate) const RAM: &str = "2015-05-01";
pub(crate) const STS: &str = "2015-04-01";
pub(crate) const EMR: &str = "2021-03-20";
pub(crate) const EMR_LEGACY: &str = "2016-04-08";
pub(crate) const DATAWORKS: &str = "2024-05-18";

pub(crate) const A_UID: &str = "1688000000000001";
pub(crate) const B_UID: &str = "1688000000000002";
pub(crate) const A: Key = Key {
    id: "LTAI5tConsumerA0000000001",
    secret: "cloudsimConsumerASecretKey000001",
};
pub(crate) const B: Key = Key {
    id: "LTAI5tProviderB0000000001",
    secret: "cloudsimProviderBSecretKey000001",
};

pub(crate) const ELIGIBLE: &str = "C-4F2A9B1C8D3E7A60";
pub(crate) const REGION: &str = "cn-hangzhou";

/// An AccessKey pair to sign with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    pub(crate) id: &'static str,
    pub(crate) secret: &'static str,
}

/// Where the business parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    /// GET, everything in the query.
    Get,
    /// POST, everything in the query, empty body.
    PostQuery,
    /// POST, business parameters in a form body (encoded with `+` for spaces).
    PostForm,
}

/// A running emulator and a client for it.
pub(crate) struct Harness {
    pub(crate) sim: Sim,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) host: String,
    base: String,
    http: reqwest::Client,
    nonce: AtomicU64,
}

/// A built V2 request, editable before it is sent.
#[derive(Debug, Clone)]
pub(crate) struct V2Call {
    pub(crate) carry: Carry,
    /// Common and business parameters, `Signature` included.
    pub(crate) params: BTreeMap<String, String>,
    /// Names of the parameters that go in the form body (for [`Carry::PostForm`]).
    pub(crate) body_keys: Vec<String>,
}

// === impl Harness ===

impl Harness {
    pub(crate) async fn start() -> Harness {
        Self::with_world(World::default_world()).await
    }

    pub(crate) async fn with_world(world: World) -> Harness {
        let clock = Arc::new(FixedClock::new(datetime!(2026-01-15 08:30:00 UTC)));
        let sim = Sim::new(world, clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            crossbind_cloudsim::serve(listener, sim.clone())
                .instrument(tracing::info_span!("cloudsim")),
        );
        Harness {
            sim,
            clock,
            host: addr.to_string(),
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            nonce: AtomicU64::new(0),
        }
    }

    pub(crate) fn now(&self) -> String {
        format_timestamp(self.clock.now())
    }

    pub(crate) fn fresh_nonce(&self) -> String {
        format!("nonce-{}", self.nonce.fetch_add(1, Ordering::Relaxed))
    }

    /// Advances the emulator's (and the signer's) clock.
    pub(crate) fn advance(&self, seconds: i64) {
        self.clock.advance(time::Duration::seconds(seconds));
    }

    /// A signed V2 request, not yet sent.
    pub(crate) fn v2(
        &self,
        key: Key,
        carry: Carry,
        action: &str,
        version: &str,
        business: &[(&str, &str)],
    ) -> V2Call {
        let mut params: BTreeMap<String, String> = [
            ("Action", action),
            ("Version", version),
            ("Format", "JSON"),
            ("AccessKeyId", key.id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.insert("SignatureNonce".into(), self.fresh_nonce());
        params.insert("Timestamp".into(), self.now());
        for (k, v) in business {
            params.insert((*k).to_owned(), (*v).to_owned());
        }
        let body_keys = if carry == Carry::PostForm {
            business.iter().map(|(k, _)| (*k).to_owned()).collect()
        } else {
            Vec::new()
        };
        let mut call = V2Call {
            carry,
            params,
            body_keys,
        };
        call.sign(key.secret);
        call
    }

    /// Sends a V2 request; returns status and JSON body.
    pub(crate) async fn send_v2(&self, call: &V2Call) -> (u16, Value) {
        let (query, body): (BTreeMap<_, _>, BTreeMap<_, _>) = call
            .params
            .clone()
            .into_iter()
            .partition(|(k, _)| !call.body_keys.contains(k));
        let url = format!(
            "{}/?{}",
            self.base,
            v2_canonical_query_with_signature(&query)
        );
        let req = match call.carry {
            Carry::Get => self.http.get(url),
            Carry::PostQuery => self.http.post(url),
            Carry::PostForm => self
                .http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&body).unwrap()),
        };
        into_parts(req.send().await.unwrap()).await
    }

    /// Signs and sends a V2 POST with everything in the query.
    pub(crate) async fn call(
        &self,
        key: Key,
        action: &str,
        version: &str,
        business: &[(&str, &str)],
    ) -> (u16, Value) {
        let call = self.v2(key, Carry::PostQuery, action, version, business);
        self.send_v2(&call).await
    }

    /// Signs and sends a V3 request: `query` in the URL, `form` (if any) as the body.
    pub(crate) async fn call_v3(
        &self,
        key: Key,
        method: &str,
        action: &str,
        version: &str,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let req = self.v3(key, method, action, version, query, form, |_| {});
        into_parts(self.http.execute(req).await.unwrap()).await
    }

    /// A signed V3 request; `tamper` may change it after signing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn v3(
        &self,
        key: Key,
        method: &str,
        action: &str,
        version: &str,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
        tamper: impl FnOnce(&mut reqwest::Request),
    ) -> reqwest::Request {
        let query: BTreeMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let body = if form.is_empty() {
            String::new()
        } else {
            serde_urlencoded::to_string(form).unwrap()
        };
        let body_hash = sha256_hex(body.as_bytes());
        let mut headers: BTreeMap<String, String> = [
            ("host", self.host.clone()),
            ("x-acs-action", action.to_owned()),
            ("x-acs-version", version.to_owned()),
            ("x-acs-date", self.now()),
            ("x-acs-signature-nonce", self.fresh_nonce()),
            ("x-acs-content-sha256", body_hash.clone()),
            ("accept", "application/json".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if !form.is_empty() {
            headers.insert(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            );
        }
        let signed: Vec<String> = headers.keys().cloned().collect();
        let canonical = v3_canonical_request(&V3Request {
            method,
            path: "/",
            query: &query,
            headers: &headers,
            signed_headers: &signed,
            payload_sha256_hex: &body_hash,
        });
        let signature = v3_signature(key.secret, &v3_string_to_sign(&canonical));
        let url = if query.is_empty() {
            format!("{}/", self.base)
        } else {
            format!("{}/?{}", self.base, v2_canonical_query(&query))
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut builder = self.http.request(method, url).body(body);
        for (k, v) in &headers {
            if k != "host" {
                builder = builder.header(k, v);
            }
        }
        builder = builder.header(
            "authorization",
            v3_authorization(key.id, &signed, &signature),
        );
        let mut req = builder.build().unwrap();
        tamper(&mut req);
        req
    }

    pub(crate) async fn execute(&self, req: reqwest::Request) -> (u16, Value) {
        into_parts(self.http.execute(req).await.unwrap()).await
    }

    pub(crate) async fn state(&self) -> Value {
        let resp = self
            .http
            .get(format!("{}/_cloudsim/state", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// POSTs JSON `body` to the unsigned test endpoint `path` (e.g. `/_cloudsim/clusters/…`).
    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        into_parts(resp).await
    }

    /// The actions in the mutation log, in order.
    pub(crate) fn mutations(&self) -> Vec<String> {
        self.sim.snapshot()["mutations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Action"].as_str().unwrap().to_owned())
            .collect()
    }
}

// === impl V2Call ===

impl V2Call {
    /// (Re)computes `Signature` with `secret`, for the method the call will use.
    pub(crate) fn sign(&mut self, secret: &str) {
        self.params.remove("Signature");
        let method = if self.carry == Carry::Get {
            "GET"
        } else {
            "POST"
        };
        let signature = v2_signature(secret, &v2_string_to_sign(method, &self.params));
        self.params.insert("Signature".into(), signature);
    }

    /// The string to sign the client used.
    pub(crate) fn string_to_sign(&self) -> String {
        let method = if self.carry == Carry::Get {
            "GET"
        } else {
            "POST"
        };
        let mut params = self.params.clone();
        params.remove("Signature");
        v2_string_to_sign(method, &params)
    }
}

/// Strict percent-encoding of every pair, `Signature` included.
fn v2_canonical_query_with_signature(params: &BTreeMap<String, String>) -> String {
    let mut rest = params.clone();
    let signature = rest.remove("Signature");
    let mut q = v2_canonical_query(&rest);
    if let Some(s) = signature {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str("Signature=");
        q.push_str(&crossbind_aliyun::sign::percent_encode(&s));
    }
    q
}

async fn into_parts(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, body)
}

/// Asserts an error answer: status, code, and the five gateway keys.
#[track_caller]
pub(crate) fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    let (got_status, body) = answer;
    assert_eq!(
        (*got_status, body["Code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    for key in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
        assert!(
            body.get(key).is_some_and(Value::is_string),
            "{key} missing: {body}"
        );
    }
}

/// Asserts success and returns the body.
#[track_caller]
pub(crate) fn ok(answer: (u16, Value)) -> Value {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1
}

/// The trust policy that lets `uid`'s DataWorks assume a role.
pub(crate) fn trust_for(uid: &str) -> String {
    format!(
        r#"{{"Statement":[{{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{{"Service":["{uid}@emr.dataworks.aliyuncs.com"]}}}}],"Version":"1"}}"#
    )
}

/// Cross-account connection properties for B's cluster `cluster`.
pub(crate) fn cross_props(env: &str, cluster: &str) -> String {
    serde_json::json!({
        "envType": env,
        "regionId": REGION,
        "clusterId": cluster,
        "crossAccountOwnerId": B_UID,
        "crossAccountRoleName": "EMRRole",
        "authType": "RamRole",
    })
    .to_string()
}
