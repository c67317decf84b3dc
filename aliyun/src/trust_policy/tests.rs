//! Unit tests of the trust policy model: merge, removal, grant checks and semantic equality.

use super::*;

const A: &str = "1111111111111111@emr.dataworks.aliyuncs.com";
const B: &str = "2222222222222222@emr.dataworks.aliyuncs.com";

fn policy(doc: &str) -> TrustPolicy {
    parse(doc).expect("test document parses")
}

#[test]
fn principal_and_fresh_policy_have_the_documented_shape() {
    let uid = AccountUid::new("1111111111111111").unwrap();
    assert_eq!(dataworks_principal(&uid), A);
    assert_eq!(
        for_service_principal(A).to_json(),
        format!(
            r#"{{"Statement":[{{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{{"Service":["{A}"]}}}}],"Version":"1"}}"#
        )
    );
    assert!(for_service_principal(A).allows_service(A));
    assert!(!for_service_principal(A).allows_service(B));
}

#[test]
fn parse_rejects_what_is_not_a_policy() {
    assert!(matches!(parse("{"), Err(Error::Json { .. })));
    assert!(matches!(parse("[]"), Err(Error::NotAnObject)));
    assert!(matches!(
        parse(r#"{"Version":"1"}"#),
        Err(Error::BadStatements)
    ));
    assert!(matches!(
        parse(r#"{"Statement":["x"]}"#),
        Err(Error::BadStatements)
    ));
}

#[test]
fn allows_service_accepts_the_loose_forms() {
    let p = policy(&format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"allow","Action":["ecs:Foo","STS:ASSUMEROLE"],
        "Principal":{{"service":"{}"}}}}]}}"#,
        A.to_uppercase()
    ));
    assert!(p.allows_service(A));
}

#[test]
fn allows_service_refuses_conditions_denies_and_other_actions() {
    let conditional = policy(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":["{A}"]}},
        "Condition":{{"StringEquals":{{"sts:ExternalId":"x"}}}}}}],"Version":"1"}}"#
    ));
    assert!(!conditional.allows_service(A));

    let other_action = policy(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:Other","Principal":{{"Service":"{A}"}}}}],"Version":"1"}}"#
    ));
    assert!(!other_action.allows_service(A));

    let denied = policy(&format!(
        r#"{{"Statement":[
        {{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":"{A}"}}}},
        {{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{{"Service":"{A}"}}}}],"Version":"1"}}"#
    ));
    assert!(!denied.allows_service(A));

    let ram_only = policy(
        r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1:root"]}}],"Version":"1"}"#,
    );
    assert!(!ram_only.allows_service(A));
}

#[test]
fn merge_keeps_an_unrelated_statement_and_unknown_fields() {
    let original = policy(
        r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1:root"]},
        "Sid":"keep-me"}],"Version":"1","Extra":{"x":1}}"#,
    );
    let (merged, changed) = original.with_service_principal(A);
    assert!(changed);
    assert!(merged.allows_service(A));
    let principals = merged.principals();
    assert!(principals.contains(&("RAM".to_owned(), "acs:ram::1:root".to_owned())));
    assert!(principals.contains(&("Service".to_owned(), A.to_owned())));
    let json = merged.to_json();
    assert!(json.contains(r#""Sid":"keep-me""#), "{json}");
    assert!(json.contains(r#""Extra":{"x":1}"#), "{json}");
}

#[test]
fn merge_joins_an_existing_service_statement() {
    let original = policy(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":"{B}"}}}}],"Version":"1"}}"#
    ));
    let (merged, changed) = original.with_service_principal(A);
    assert!(changed);
    assert_eq!(
        merged.to_json(),
        format!(
            r#"{{"Statement":[{{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{{"Service":["{B}","{A}"]}}}}],"Version":"1"}}"#
        )
    );
}

#[test]
fn adding_twice_changes_nothing_the_second_time() {
    let (once, changed) = for_service_principal(B).with_service_principal(A);
    assert!(changed);
    let (twice, changed_again) = once.with_service_principal(A);
    assert!(!changed_again);
    assert_eq!(once, twice);
    let (case, changed_case) = once.with_service_principal(&A.to_uppercase());
    assert!(!changed_case);
    assert_eq!(once, case);
}

#[test]
fn remove_keeps_others_and_drops_an_emptied_statement() {
    let two = policy(&format!(
        r#"{{"Statement":[
        {{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":["{A}","{B}"]}}}},
        {{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":"{A}"}}}},
        {{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":"{A}","RAM":"acs:ram::1:root"}}}}
        ],"Version":"1"}}"#
    ));
    let (removed, changed) = two.without_service_principal(&A.to_uppercase());
    assert!(changed);
    assert!(!removed.allows_service(A));
    assert!(removed.allows_service(B));
    assert_eq!(
        removed.principals(),
        vec![
            ("Service".to_owned(), B.to_owned()),
            ("RAM".to_owned(), "acs:ram::1:root".to_owned()),
        ]
    );
    assert_eq!(removed.statements().count(), 2);
    let (again, changed_again) = removed.without_service_principal(A);
    assert!(!changed_again);
    assert_eq!(again, removed);
}

#[test]
fn remove_never_touches_a_deny() {
    let p = policy(&format!(
        r#"{{"Statement":[{{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{{"Service":"{A}"}}}}],"Version":"1"}}"#
    ));
    let (same, changed) = p.without_service_principal(A);
    assert!(!changed);
    assert_eq!(same, p);
}

#[test]
fn semantic_equality_ignores_form_but_not_meaning() {
    let canonical = for_service_principal(A);
    let loose = policy(&format!(
        "{{ \"Version\" : \"1\",\n  \"Statement\" : [ {{ \"Principal\" : {{ \"service\" : \"{A}\" }},\n \
         \"Effect\":\"Allow\", \"Action\" : [\"sts:AssumeRole\"] }} ] }}"
    ));
    assert!(canonical.semantically_eq(&loose));
    assert!(loose.semantically_eq(&canonical));

    let (ab, _) = canonical.with_service_principal(B);
    let ba = policy(&format!(
        r#"{{"Statement":[{{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{{"Service":["{B}","{A}"]}}}}],"Version":"1"}}"#
    ));
    assert!(ab.semantically_eq(&ba));

    assert!(!canonical.semantically_eq(&for_service_principal(B)));
    let denied = policy(&canonical.to_json().replace("Allow", "Deny"));
    assert!(!canonical.semantically_eq(&denied));
    let other_version = policy(&canonical.to_json().replace("\"1\"", "\"2\""));
    assert!(!canonical.semantically_eq(&other_version));
}
