//! RAM role lifecycle: shapes, codes and statuses, and the mutation log.

use crate::support::*;

const POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

fn attach(name: &str) -> [(&'static str, String); 3] {
    [
        ("PolicyType", "System".into()),
        ("PolicyName", name.into()),
        ("RoleName", "EMRRole".into()),
    ]
}

fn pairs<'a>(p: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    p.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn role_lifecycle_follows_ram() {
    let h = Harness::start().await;
    let trust = trust_for(A_UID);
    let create = [
        ("RoleName", "EMRRole"),
        ("AssumeRolePolicyDocument", trust.as_str()),
        ("Description", "dataworks of A"),
    ];
    let body = ok(h.call(B, "CreateRole", RAM, &create).await);
    let role = &body["Role"];
    assert_eq!(role["Arn"], format!("acs:ram::{B_UID}:role/emrrole"));
    assert_eq!(role["RoleName"], "EMRRole");
    assert_eq!(role["AssumeRolePolicyDocument"], trust.as_str());
    assert_eq!(role["CreateDate"], "2026-01-15T08:30:00Z");
    assert_eq!(role["MaxSessionDuration"], 3600);
    assert_eq!(role["AllowConsoleLogin"], false);
    let role_id = role["RoleId"].as_str().unwrap().to_owned();
    assert!(
        role_id.bytes().all(|b| b.is_ascii_digit()) && role_id.len() == 16,
        "{role_id}"
    );

    let again = h.call(B, "CreateRole", RAM, &create).await;
    assert_error(&again, 409, "EntityAlreadyExists.Role");
    // Role names are case-insensitive.
    let upper = [
        ("RoleName", "EMRROLE"),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    assert_error(
        &h.call(B, "CreateRole", RAM, &upper).await,
        409,
        "EntityAlreadyExists.Role",
    );

    h.advance(5);
    let body = ok(h.call(B, "GetRole", RAM, &[("RoleName", "emrrole")]).await);
    assert_eq!(body["Role"]["RoleId"], role_id.as_str());
    assert_eq!(body["Role"]["UpdateDate"], "2026-01-15T08:30:00Z");
    assert!(body["Role"]["AssumeRolePolicyDocument"].is_string());

    // Account A has no such role: state is per account.
    assert_error(
        &h.call(A, "GetRole", RAM, &[("RoleName", "EMRRole")]).await,
        404,
        "EntityNotExist.Role",
    );

    assert_error(
        &h.call(
            B,
            "AttachPolicyToRole",
            RAM,
            &pairs(&attach("NoSuchPolicy")),
        )
        .await,
        404,
        "EntityNotExist.Policy",
    );
    ok(
        h.call(B, "AttachPolicyToRole", RAM, &pairs(&attach(POLICY)))
            .await,
    );
    assert_error(
        &h.call(B, "AttachPolicyToRole", RAM, &pairs(&attach(POLICY)))
            .await,
        409,
        "EntityAlreadyExists.Role.Policy",
    );
    let mut bad_type = attach(POLICY);
    bad_type[0].1 = "system".into();
    assert_error(
        &h.call(B, "AttachPolicyToRole", RAM, &pairs(&bad_type))
            .await,
        400,
        "InvalidParameter.PolicyType",
    );

    let body = ok(h
        .call(B, "ListPoliciesForRole", RAM, &[("RoleName", "EMRRole")])
        .await);
    let policies = body["Policies"]["Policy"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0]["PolicyName"], POLICY);
    assert_eq!(policies[0]["PolicyType"], "System");
    assert_eq!(policies[0]["AttachDate"], "2026-01-15T08:30:05Z");

    assert_error(
        &h.call(B, "DeleteRole", RAM, &[("RoleName", "EMRRole")])
            .await,
        409,
        "DeleteConflict.Role.Policy",
    );
    ok(
        h.call(B, "DetachPolicyFromRole", RAM, &pairs(&attach(POLICY)))
            .await,
    );
    assert_error(
        &h.call(B, "DetachPolicyFromRole", RAM, &pairs(&attach(POLICY)))
            .await,
        404,
        "EntityNotExist.Role.Policy",
    );
    ok(h.call(B, "DeleteRole", RAM, &[("RoleName", "EMRRole")])
        .await);
    assert_error(
        &h.call(B, "DeleteRole", RAM, &[("RoleName", "EMRRole")])
            .await,
        404,
        "EntityNotExist.Role",
    );

    assert_eq!(
        h.mutations(),
        [
            "CreateRole",
            "AttachPolicyToRole",
            "DetachPolicyFromRole",
            "DeleteRole"
        ]
    );
    let state = h.state().await;
    let first = &state["mutations"][0];
    assert_eq!(first["Sequence"], 1);
    assert_eq!(first["Account"], B_UID);
    assert_eq!(first["Target"], "role/EMRRole");
    assert_eq!(first["Time"], "2026-01-15T08:30:00Z");
}

#[tokio::test]
async fn update_role_replaces_the_trust_policy() {
    let h = Harness::start().await;
    let create = [
        ("RoleName", "EMRRole"),
        (
            "AssumeRolePolicyDocument",
            r#"{"Statement":[],"Version":"1"}"#,
        ),
    ];
    ok(h.call(B, "CreateRole", RAM, &create).await);
    h.advance(60);
    let trust = trust_for(A_UID);
    let body = ok(h
        .call(
            B,
            "UpdateRole",
            RAM,
            &[
                ("RoleName", "EMRRole"),
                ("NewAssumeRolePolicyDocument", &trust),
            ],
        )
        .await);
    assert_eq!(body["Role"]["AssumeRolePolicyDocument"], trust.as_str());
    assert_eq!(body["Role"]["UpdateDate"], "2026-01-15T08:31:00Z");
    let malformed = [
        ("RoleName", "EMRRole"),
        ("NewAssumeRolePolicyDocument", "{not json"),
    ];
    assert_error(
        &h.call(B, "UpdateRole", RAM, &malformed).await,
        400,
        "MalformedPolicyDocument",
    );
    let missing = [("RoleName", "Nope"), ("NewDescription", "x")];
    assert_error(
        &h.call(B, "UpdateRole", RAM, &missing).await,
        404,
        "EntityNotExist.Role",
    );
    assert_eq!(h.mutations(), ["CreateRole", "UpdateRole"]);
}

#[tokio::test]
async fn bad_input_is_refused_with_specific_codes() {
    let h = Harness::start().await;
    let trust = trust_for(A_UID);
    let bad_chars = [
        ("RoleName", "emr_role"),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    assert_error(
        &h.call(B, "CreateRole", RAM, &bad_chars).await,
        400,
        "InvalidParameter.RoleName.InvalidChars",
    );
    let long = "r".repeat(65);
    let too_long = [
        ("RoleName", long.as_str()),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    assert_error(
        &h.call(B, "CreateRole", RAM, &too_long).await,
        400,
        "InvalidParameter.RoleName.Length",
    );
    let malformed = [("RoleName", "R"), ("AssumeRolePolicyDocument", "[1]")];
    assert_error(
        &h.call(B, "CreateRole", RAM, &malformed).await,
        400,
        "MalformedPolicyDocument",
    );
    let answer = h.call(B, "CreateRole", RAM, &[("RoleName", "R")]).await;
    assert_error(&answer, 400, "MissingAssumeRolePolicyDocument");
    assert_eq!(
        answer.1["Message"],
        "AssumeRolePolicyDocument is mandatory for this action."
    );
    let session = [
        ("RoleName", "R"),
        ("AssumeRolePolicyDocument", trust.as_str()),
        ("MaxSessionDuration", "100"),
    ];
    assert_error(
        &h.call(B, "CreateRole", RAM, &session).await,
        400,
        "InvalidParameter",
    );
    assert!(h.mutations().is_empty());
}

#[tokio::test]
async fn list_roles_pages_with_a_marker() {
    let h = Harness::start().await;
    let trust = trust_for(A_UID);
    for name in ["R1", "R2", "R3"] {
        ok(h.call(
            B,
            "CreateRole",
            RAM,
            &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
        )
        .await);
    }
    let page = ok(h.call(B, "ListRoles", RAM, &[("MaxItems", "2")]).await);
    assert_eq!(page["IsTruncated"], true);
    let names: Vec<&str> = page["Roles"]["Role"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["R1", "R2"]);
    let marker = page["Marker"].as_str().unwrap().to_owned();
    let page = ok(h
        .call(
            B,
            "ListRoles",
            RAM,
            &[("MaxItems", "2"), ("Marker", &marker)],
        )
        .await);
    assert_eq!(page["IsTruncated"], false);
    assert_eq!(page["Roles"]["Role"][0]["RoleName"], "R3");
    // The SDK's ListRoles item has no trust policy; RAM leaves it out.
    assert!(page["Roles"]["Role"][0]["AssumeRolePolicyDocument"].is_null());
    assert_eq!(page["Roles"]["Role"][0]["AllowConsoleLogin"], false);
    let empty = ok(h.call(A, "ListRoles", RAM, &[]).await);
    assert_eq!(empty["Roles"]["Role"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn console_login_is_stored_and_reported() {
    let h = Harness::start().await;
    let trust = trust_for(A_UID);
    let create = [
        ("RoleName", "EMRRole"),
        ("AssumeRolePolicyDocument", trust.as_str()),
        ("AllowConsoleLogin", "true"),
    ];
    assert_eq!(
        ok(h.call(B, "CreateRole", RAM, &create).await)["Role"]["AllowConsoleLogin"],
        true
    );
    let update = [("RoleName", "EMRRole"), ("NewAllowConsoleLogin", "false")];
    assert_eq!(
        ok(h.call(B, "UpdateRole", RAM, &update).await)["Role"]["AllowConsoleLogin"],
        false
    );
    let role = ok(h.call(B, "GetRole", RAM, &[("RoleName", "EMRRole")]).await);
    assert_eq!(role["Role"]["AllowConsoleLogin"], false);
    let bad = [("RoleName", "EMRRole"), ("NewAllowConsoleLogin", "maybe")];
    assert_error(
        &h.call(B, "UpdateRole", RAM, &bad).await,
        400,
        "InvalidParameter",
    );
}
