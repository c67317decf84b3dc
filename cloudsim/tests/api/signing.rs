//! Gateway behaviour: V2 and V3 signatures accepted and refused with the cloud's codes, in
//! the cloud's order, over GET and POST, query and form body.

use crate::support::*;

#[tokio::test]
async fn v2_get_identifies_the_root_account() {
    let h = Harness::start().await;
    let call = h.v2(
        A,
        Carry::Get,
        "GetCallerIdentity",
        STS,
        &[("RegionId", REGION)],
    );
    let body = ok(h.send_v2(&call).await);
    assert_eq!(body["AccountId"], A_UID);
    assert_eq!(body["IdentityType"], "Account");
    assert_eq!(body["Arn"], format!("acs:ram::{A_UID}:root"));
    let id = body["RequestId"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_ascii_uppercase());
}

#[tokio::test]
async fn v2_post_in_query_and_in_form_body_are_accepted() {
    let h = Harness::start().await;
    let body = ok(h.call(B, "GetCallerIdentity", STS, &[]).await);
    assert_eq!(body["AccountId"], B_UID);
    let call = h.v2(
        B,
        Carry::PostForm,
        "CreateRole",
        RAM,
        &[
            ("RoleName", "FormRole"),
            ("AssumeRolePolicyDocument", &trust_for(A_UID)),
            ("Description", "spaces and a+plus"),
        ],
    );
    let body = ok(h.send_v2(&call).await);
    assert_eq!(body["Role"]["Description"], "spaces and a+plus");
}

#[tokio::test]
async fn plus_in_a_form_body_is_a_space_signed_as_percent_20() {
    let h = Harness::start().await;
    let call = h.v2(
        B,
        Carry::PostForm,
        "CreateRole",
        RAM,
        &[
            ("RoleName", "PlusRole"),
            ("AssumeRolePolicyDocument", &trust_for(A_UID)),
            ("Description", "a b"),
        ],
    );
    // Signed as %20 (doubled to %2520), sent in the body as `+`.
    assert!(call.string_to_sign().contains("Description%3Da%2520b"));
    assert_eq!(
        serde_urlencoded::to_string([("Description", "a b")]).unwrap(),
        "Description=a+b"
    );
    let body = ok(h.send_v2(&call).await);
    assert_eq!(body["Role"]["Description"], "a b");
}

#[tokio::test]
async fn lower_case_format_and_empty_values_are_accepted() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params.insert("Format".into(), "json".into());
    // The legacy core SDK always sends an empty SignatureType; empty values are signed.
    call.params.insert("SignatureType".into(), String::new());
    call.sign(A.secret);
    ok(h.send_v2(&call).await);
}

#[tokio::test]
async fn v3_post_with_form_body_and_get_with_query_are_accepted() {
    let h = Harness::start().await;
    let body = ok(h
        .call_v3(A, "POST", "GetCallerIdentity", STS, &[], &[])
        .await);
    assert_eq!(body["AccountId"], A_UID);
    let body = ok(h
        .call_v3(A, "GET", "GetProject", DATAWORKS, &[("Id", "10001")], &[])
        .await);
    assert_eq!(body["Project"]["Name"], "analytics");
    let body = ok(h
        .call_v3(
            B,
            "POST",
            "CreateRole",
            RAM,
            &[("RoleName", "V3Role")],
            &[
                ("AssumeRolePolicyDocument", &trust_for(A_UID)),
                ("Description", "x y*z~/"),
            ],
        )
        .await);
    assert_eq!(body["Role"]["Description"], "x y*z~/");
}

#[tokio::test]
async fn wrong_secret_gives_signature_does_not_match_with_the_server_string() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.sign("not-the-secret");
    let answer = h.send_v2(&call).await;
    assert_error(&answer, 400, "SignatureDoesNotMatch");
    let body = &answer.1;
    assert_eq!(
        body["Message"].as_str().unwrap(),
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{}",
            call.string_to_sign()
        )
    );
    assert_eq!(body["HostId"], h.host.as_str());
    let id = body["RequestId"].as_str().unwrap();
    assert_eq!(
        body["Recommend"],
        format!(
            "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Sts&requestId={id}"
        )
    );
    assert!(!body.to_string().contains(A.secret));
}

#[tokio::test]
async fn signing_with_the_other_method_fails() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.carry = Carry::PostQuery;
    assert_error(&h.send_v2(&call).await, 400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn v3_wrong_secret_tampered_body_and_unsigned_host_fail() {
    let h = Harness::start().await;
    let req = h.v3(
        Key {
            id: A.id,
            secret: "wrong",
        },
        "POST",
        "GetCallerIdentity",
        STS,
        &[],
        &[],
        |_| {},
    );
    let answer = h.execute(req).await;
    assert_error(&answer, 400, "SignatureDoesNotMatch");
    let message = answer.1["Message"].as_str().unwrap();
    let (_, sts) = message.split_once("server string to sign is:").unwrap();
    let (algorithm, hash) = sts.split_once('\n').unwrap();
    assert_eq!(algorithm, "ACS3-HMAC-SHA256");
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{sts}"
    );

    let req = h.v3(
        A,
        "POST",
        "GetProject",
        DATAWORKS,
        &[],
        &[("Id", "10001")],
        |r| {
            *r.body_mut() = Some("Id=10002".into());
        },
    );
    assert_error(&h.execute(req).await, 400, "SignatureDoesNotMatch");

    let req = h.v3(A, "POST", "GetCallerIdentity", STS, &[], &[], |r| {
        let auth = r.headers()["authorization"]
            .to_str()
            .unwrap()
            .replace("host;", "");
        r.headers_mut()
            .insert("authorization", auth.parse().unwrap());
    });
    let answer = h.execute(req).await;
    assert_error(&answer, 400, "IncompleteSignature");
    assert!(answer.1["Message"].as_str().unwrap().contains("\"host\""));
}

#[tokio::test]
async fn unknown_access_key_is_404() {
    let h = Harness::start().await;
    let key = Key {
        id: "LTAI5tNobody",
        secret: "x",
    };
    let answer = h.call(key, "GetCallerIdentity", STS, &[]).await;
    assert_error(&answer, 404, "InvalidAccessKeyId.NotFound");
    assert_eq!(answer.1["Message"], "Specified access key is not found.");
    let answer = h
        .call_v3(key, "POST", "GetCallerIdentity", STS, &[], &[])
        .await;
    assert_error(&answer, 404, "InvalidAccessKeyId.NotFound");
}

#[tokio::test]
async fn timestamps_outside_the_tolerance_or_malformed_are_refused() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    h.advance(14 * 60);
    ok(h.send_v2(&call).await);

    call.params.insert("SignatureNonce".into(), h.fresh_nonce());
    call.sign(A.secret);
    h.advance(2 * 60);
    let answer = h.send_v2(&call).await;
    assert_error(&answer, 400, "InvalidTimeStamp.Expired");
    assert_eq!(
        answer.1["Message"],
        "Specified time stamp or date value is expired."
    );

    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params
        .insert("Timestamp".into(), "2026-01-15 08:46:00".into());
    call.sign(A.secret);
    assert_error(&h.send_v2(&call).await, 400, "InvalidTimeStamp.Format");

    // A future timestamp beyond the tolerance is refused too.
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params
        .insert("Timestamp".into(), "2026-01-15T09:30:00Z".into());
    call.sign(A.secret);
    assert_error(&h.send_v2(&call).await, 400, "InvalidTimeStamp.Expired");
}

#[tokio::test]
async fn a_reused_nonce_is_refused_but_only_for_the_same_key() {
    let h = Harness::start().await;
    let call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    ok(h.send_v2(&call).await);
    let answer = h.send_v2(&call).await;
    assert_error(&answer, 400, "SignatureNonceUsed");
    assert_eq!(
        answer.1["Message"],
        "Specified signature nonce was used already."
    );

    let mut other = h.v2(B, Carry::Get, "GetCallerIdentity", STS, &[]);
    other.params.insert(
        "SignatureNonce".into(),
        call.params["SignatureNonce"].clone(),
    );
    other.sign(B.secret);
    ok(h.send_v2(&other).await);

    let req = h.v3(A, "POST", "GetCallerIdentity", STS, &[], &[], |_| {});
    let again = req.try_clone().unwrap();
    ok(h.execute(req).await);
    assert_error(&h.execute(again).await, 400, "SignatureNonceUsed");
}

#[tokio::test]
async fn missing_common_parameter_is_named() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params.remove("SignatureNonce");
    call.sign(A.secret);
    let answer = h.send_v2(&call).await;
    assert_error(&answer, 400, "MissingParameter");
    assert!(
        answer.1["Message"]
            .as_str()
            .unwrap()
            .contains("\"SignatureNonce\"")
    );
}

#[tokio::test]
async fn checks_run_in_the_cloud_order() {
    let h = Harness::start().await;
    // Unknown key beats a stale timestamp and a bad signature.
    let mut call = h.v2(
        Key {
            id: "nobody",
            secret: "x",
        },
        Carry::Get,
        "GetCallerIdentity",
        STS,
        &[],
    );
    call.params
        .insert("Timestamp".into(), "2020-01-01T00:00:00Z".into());
    assert_error(&h.send_v2(&call).await, 404, "InvalidAccessKeyId.NotFound");
    // A stale timestamp beats a bad signature.
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params
        .insert("Timestamp".into(), "2020-01-01T00:00:00Z".into());
    assert_error(&h.send_v2(&call).await, 400, "InvalidTimeStamp.Expired");
    // A bad signature does not burn the nonce.
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.sign("wrong");
    assert_error(&h.send_v2(&call).await, 400, "SignatureDoesNotMatch");
    call.sign(A.secret);
    ok(h.send_v2(&call).await);
}

#[tokio::test]
async fn unknown_action_or_version_is_invalid_parameter() {
    let h = Harness::start().await;
    let answer = h.call(A, "GetCallerIdentity", RAM, &[]).await;
    assert_error(&answer, 400, "InvalidParameter");
    assert_eq!(
        answer.1["Message"],
        "The specified parameter \"Action or Version\" is not valid."
    );
    let answer = h.call_v3(A, "POST", "NoSuchAction", STS, &[], &[]).await;
    assert_error(&answer, 400, "InvalidParameter");
}

#[tokio::test]
async fn security_tokens_are_not_accepted() {
    let h = Harness::start().await;
    let mut call = h.v2(A, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.params
        .insert("SecurityToken".into(), "CAIS+token".into());
    call.sign(A.secret);
    assert_error(
        &h.send_v2(&call).await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );
}

#[tokio::test]
async fn requests_are_counted_and_inspection_is_unsigned() {
    let h = Harness::start().await;
    ok(h.call(A, "GetCallerIdentity", STS, &[]).await);
    let _ = h
        .call(
            Key {
                id: "nobody",
                secret: "x",
            },
            "GetCallerIdentity",
            STS,
            &[],
        )
        .await;
    let state = h.state().await;
    assert_eq!(
        state["requests"],
        serde_json::json!({ "accepted": 1, "rejected": 1 })
    );
    assert_eq!(state["accounts"][B_UID]["name"], "provider-b");
    assert_eq!(
        state["accounts"][B_UID]["clusters"]
            .as_array()
            .map(Vec::len),
        Some(9)
    );
    assert!(state["mutations"].as_array().is_some_and(Vec::is_empty));
    assert!(!state.to_string().contains(A.secret));
    assert_eq!(state, h.sim.snapshot());
}
