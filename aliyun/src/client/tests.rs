//! Unit tests of request building: the client's own requests reproduce the shared vectors,
//! reserved parameters are refused, and nothing secret shows in `Debug` or redacted text.

use time::macros::datetime;

use super::*;

const NONCE_V2: &str = "3f0c8a2e-6b1d-4e7a-9c55-0a1b2c3d4e5f";
const NONCE_V3: &str = "3f0c8a2e6b1d4e7a9c550a1b2c3d4e5f";

fn client(signature: SignatureVersion, creds: Credentials) -> Client {
    let mut config = ClientConfig::new(RegionId::new("cn-hangzhou").unwrap());
    config.signature = signature;
    Client::new(creds, config).unwrap()
}

fn now() -> OffsetDateTime {
    datetime!(2026-01-15 08:30:00 UTC)
}

#[test]
fn v2_request_matches_the_sts_vector() {
    let c = client(
        SignatureVersion::V2,
        Credentials::new("testid", "testsecret"),
    );
    let req = RpcRequest::new(Product::Sts, "GetCallerIdentity", "2015-04-01")
        .with_method(Method::Get)
        .param("RegionId", "cn-hangzhou");
    let prepared = c.prepare_with(&req, NONCE_V2, now()).unwrap();
    assert_eq!(prepared.method, Method::Get);
    assert!(
        prepared
            .url
            .starts_with("https://sts.cn-hangzhou.aliyuncs.com/?AccessKeyId=testid&Action=")
    );
    assert!(
        prepared
            .url
            .ends_with("&Signature=6G0EknoxSX7Oy6bqHjktE3y%2FQbw%3D"),
        "{}",
        prepared.url
    );
    assert!(prepared.body.is_empty());
}

#[test]
fn v3_request_matches_the_ram_vector() {
    let c = client(
        SignatureVersion::V3,
        Credentials::new("testid", "testsecret"),
    );
    let req =
        RpcRequest::new(Product::Ram, "GetRole", "2015-05-01").param("RoleName", "agent role*~/");
    let prepared = c.prepare_with(&req, NONCE_V3, now()).unwrap();
    assert_eq!(
        prepared.url,
        "https://ram.aliyuncs.com/?RoleName=agent%20role%2A~%2F"
    );
    assert_eq!(
        prepared.header("authorization"),
        Some(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=70a102b72c35dc87a106445d46ada8fe8a8db926e71f2844ef1eab9ea225b1b6"
        )
    );
    assert_eq!(prepared.header("host"), Some("ram.aliyuncs.com"));
}

#[test]
fn v3_form_body_matches_the_dataworks_vector() {
    let c = client(
        SignatureVersion::V3,
        Credentials::new("testid", "testsecret"),
    );
    let req = RpcRequest::new(
        Product::DataWorks,
        "UpdateComputeResourceAuthUserMappings",
        "2024-05-18",
    )
    .form_param("ComputeResourceId", "2")
    .form_param("ProjectId", "1")
    .form_param("RemoveUserIds", "[\"111\"]");
    let prepared = c.prepare_with(&req, NONCE_V3, now()).unwrap();
    assert_eq!(
        prepared.body,
        "ComputeResourceId=2&ProjectId=1&RemoveUserIds=%5B%22111%22%5D"
    );
    assert_eq!(
        prepared.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let auth = prepared.header("authorization").unwrap();
    assert!(
        auth.ends_with(
            "Signature=e38e5008eabf21a503be39289f8b9f0e3080994ee1297776ad79e5a9a921f72d"
        ),
        "{auth}"
    );
}

#[test]
fn v3_signs_the_token_and_the_override_host_with_port() {
    let creds = Credentials::new("STS.abc", "stsSecret").with_security_token("CAIS+token/==");
    let mut config = ClientConfig::new(RegionId::new("cn-hangzhou").unwrap());
    config.signature = SignatureVersion::V3;
    config.endpoints = Endpoints::with_override("http://127.0.0.1:4567");
    let c = Client::new(creds, config).unwrap();
    let req = RpcRequest::new(Product::Sts, "GetCallerIdentity", "2015-04-01");
    let prepared = c.prepare_with(&req, NONCE_V3, now()).unwrap();
    assert_eq!(prepared.url, "http://127.0.0.1:4567/");
    assert_eq!(prepared.header("host"), Some("127.0.0.1:4567"));
    assert_eq!(
        prepared.header("x-acs-security-token"),
        Some("CAIS+token/==")
    );
    let auth = sign::parse_v3_authorization(prepared.header("authorization").unwrap()).unwrap();
    assert!(
        auth.signed_headers
            .contains(&"x-acs-security-token".to_owned())
    );
    assert!(auth.signed_headers.contains(&"host".to_owned()));
}

#[test]
fn reserved_and_conflicting_parameters_are_refused() {
    let c = client(SignatureVersion::V2, Credentials::new("id", "secret"));
    let cases = [
        RpcRequest::new(Product::Ram, "GetRole", "2015-05-01").param("Signature", "x"),
        RpcRequest::new(Product::Ram, "GetRole", "2015-05-01").form_param("Timestamp", "x"),
        RpcRequest::new(Product::Ram, "GetRole", "2015-05-01")
            .param("A", "1")
            .form_param("A", "2"),
        RpcRequest::new(Product::Ram, "GetRole", "2015-05-01")
            .with_method(Method::Get)
            .form_param("A", "2"),
    ];
    for req in cases {
        let err = c.prepare_with(&req, "n", now()).unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
}

#[test]
fn list_params_are_numbered_from_one() {
    let req = RpcRequest::new(Product::Emr, "ListClusters", "2021-03-20")
        .list_param("ClusterIds", ["a", "b"])
        .opt_param("MaxResults", Some(20))
        .opt_param("NextToken", None::<String>);
    let keys: Vec<&str> = req.query.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["ClusterIds.1", "ClusterIds.2", "MaxResults"]);
}

#[test]
fn debug_and_redaction_hide_credentials() {
    let token = "TOKEN+with/slash=";
    let c = client(
        SignatureVersion::V2,
        Credentials::new("id", "the-secret").with_security_token(token),
    );
    let req = RpcRequest::new(Product::Sts, "GetCallerIdentity", "2015-04-01");
    let prepared = c.prepare_with(&req, "n", now()).unwrap();
    assert!(
        prepared
            .url
            .contains("SecurityToken=TOKEN%2Bwith%2Fslash%3D")
    );
    let debug = format!("{prepared:?} {c:?}");
    assert!(
        !debug.contains("TOKEN") && !debug.contains("the-secret"),
        "{debug}"
    );

    let string_to_sign = sign::v2_string_to_sign(
        "POST",
        &BTreeMap::from([("SecurityToken".to_owned(), token.to_owned())]),
    );
    let shown = c.redacted(&string_to_sign).to_string();
    assert!(!shown.contains("TOKEN"), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert_eq!(
        c.redacted(&format!("raw {token} and the-secret"))
            .to_string(),
        "raw [REDACTED] and [REDACTED]"
    );
}

#[test]
fn bad_override_urls_are_refused() {
    for url in ["not a url", "ftp://h/", "unix:/x"] {
        let mut config = ClientConfig::new(RegionId::new("cn-hangzhou").unwrap());
        config.endpoints = Endpoints::with_override(url);
        let err = Client::new(Credentials::new("a", "b"), config).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{url}: {err:?}");
    }
}

#[test]
fn error_bodies_are_read_case_insensitively() {
    let c = client(SignatureVersion::V2, Credentials::new("a", "b"));
    let api = c.api_error(
        404,
        br#"{"requestId":"R1","code":"EntityNotExist.Role","message":"gone","HostId":"ram.aliyuncs.com"}"#,
        None,
    );
    assert_eq!(api.code, "EntityNotExist.Role");
    assert_eq!(api.message, "gone");
    assert_eq!(api.request_id.as_deref(), Some("R1"));
    assert_eq!(api.host_id.as_deref(), Some("ram.aliyuncs.com"));
    let raw = c.api_error(502, b"<html>bad gateway</html>", Some("HDR".to_owned()));
    assert_eq!(raw.code, codes::UNKNOWN);
    assert_eq!(raw.message, "<html>bad gateway</html>");
    assert_eq!(raw.request_id.as_deref(), Some("HDR"));
}
