//! Tests of the cloud-error mapping: one per arm, plus the secret canary.

use tonic::Code;

use super::*;

fn api(status: u16, code: &str, message: &str) -> CloudError {
    CloudError::from(ApiError {
        http_status: status,
        code: code.to_owned(),
        message: message.to_owned(),
        request_id: Some("4C1F-REQ".to_owned()),
        host_id: Some("ram.aliyuncs.com".to_owned()),
        recommend: None,
    })
}

fn assert_quotes(status: &Status, code: &str, message: &str) {
    let text = status.message();
    assert!(text.contains(code), "{text}");
    assert!(text.contains(message), "{text}");
    assert!(text.contains("RequestId 4C1F-REQ"), "{text}");
}

#[test]
fn throttling_is_unavailable() {
    let s = cloud_error_to_status(&api(
        400,
        "Throttling.User",
        "Request was denied due to user flow control.",
    ));
    assert_eq!(s.code(), Code::Unavailable);
    assert_quotes(&s, "Throttling.User", "user flow control");
    assert!(s.message().contains("retry"), "{}", s.message());
}

#[test]
fn transient_and_server_failures_are_unavailable() {
    for (http, code) in [(503, "ServiceUnavailable"), (500, "InternalError")] {
        let s = cloud_error_to_status(&api(http, code, "temporary failure"));
        assert_eq!(s.code(), Code::Unavailable, "{code}");
        assert_quotes(&s, code, "temporary failure");
    }
}

#[test]
fn permission_refusals_are_permission_denied() {
    for code in ["NoPermission", "Forbidden.RAM", "Forbidden"] {
        let s = cloud_error_to_status(&api(403, code, "You are not authorized to do this action."));
        assert_eq!(s.code(), Code::PermissionDenied, "{code}");
        assert_quotes(&s, code, "You are not authorized");
        assert!(s.message().contains("grant"), "{}", s.message());
    }
}

#[test]
fn credential_refusals_are_failed_precondition_with_a_hint() {
    let s = cloud_error_to_status(&api(
        404,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    ));
    assert_eq!(s.code(), Code::FailedPrecondition);
    assert_quotes(
        &s,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    );
    assert!(s.message().contains("AccessKey"), "{}", s.message());
}

#[test]
fn other_client_refusals_are_failed_precondition() {
    let s = cloud_error_to_status(&api(
        409,
        "DeleteConflict.Role.Policy",
        "The role CAN NOT has any attached policy while deleting the role.",
    ));
    assert_eq!(s.code(), Code::FailedPrecondition);
    assert_quotes(&s, "DeleteConflict.Role.Policy", "attached policy");
}

#[test]
fn echoed_string_to_sign_is_cut_off() {
    let marker = "CANARYTOKEN0123456789";
    let message = format!(
        "Specified signature is not matched with our calculation. server string to sign \
         is:POST&%2F&SecurityToken%3D{marker}"
    );
    let s = cloud_error_to_status(&api(400, "SignatureDoesNotMatch", &message));
    assert_eq!(s.code(), Code::FailedPrecondition);
    assert!(!s.message().contains(marker), "{}", s.message());
    assert!(
        s.message().contains("string to sign omitted"),
        "{}",
        s.message()
    );
    assert_quotes(
        &s,
        "SignatureDoesNotMatch",
        "not matched with our calculation",
    );
}

#[test]
fn long_messages_are_shortened() {
    let s = cloud_error_to_status(&api(400, "InvalidParameter", &"x".repeat(5000)));
    assert!(s.message().len() < 1000, "{}", s.message().len());
}

#[test]
fn no_answer_is_unavailable_with_a_fixed_message() {
    let s = cloud_error_to_status(&CloudError::Timeout { action: "GetRole" });
    assert_eq!(s.code(), Code::Unavailable);
    assert!(s.message().contains("did not answer"), "{}", s.message());
}

#[test]
fn not_applied_is_unavailable_and_names_the_request() {
    let s = cloud_error_to_status(&CloudError::NotApplied {
        action: "DeleteComputeResource",
        request_id: Some("4C1F-REQ".to_owned()),
    });
    assert_eq!(s.code(), Code::Unavailable);
    assert!(
        s.message().contains("DeleteComputeResource"),
        "{}",
        s.message()
    );
    assert!(s.message().contains("4C1F-REQ"), "{}", s.message());
}

#[test]
fn internal_faults_are_internal_with_a_fixed_message() {
    let s = cloud_error_to_status(&CloudError::InvalidRequest(
        "secret-looking detail".to_owned(),
    ));
    assert_eq!(s.code(), Code::Internal);
    assert!(
        !s.message().contains("secret-looking detail"),
        "{}",
        s.message()
    );
}
