//! Tests of template parsing, rendering and matching.

use serde_json::json;

use super::*;

fn params(env: &str) -> Params {
    Params {
        env_type: env.to_owned(),
        region_id: "cn-hangzhou".to_owned(),
        cluster_id: "C-4F2A9B1C8D3E7A60".to_owned(),
        owner_id: "1688000000000002".to_owned(),
        role_name: "EMRRole".to_owned(),
    }
}

#[test]
fn the_default_template_renders_the_documented_shape() {
    let t = Template::default_template();
    assert_eq!(
        t.render(&params("Prod")),
        json!({
            "envType": "Prod",
            "regionId": "cn-hangzhou",
            "clusterId": "C-4F2A9B1C8D3E7A60",
            "crossAccountOwnerId": "1688000000000002",
            "crossAccountRoleName": "EMRRole",
            "authType": "RamRole",
        })
    );
}

#[test]
fn values_are_escaped_because_substitution_happens_in_parsed_json() {
    let t = Template::parse(
        r#"{"envType":"${envType}","clusterId":"${clusterId}","crossAccountOwnerId":"${crossAccountOwnerId}","crossAccountRoleName":"${crossAccountRoleName}","note":"role ${crossAccountRoleName} in ${regionId}"}"#,
    )
    .expect("valid");
    let mut p = params("Dev");
    p.role_name = "quote\"and\\slash".to_owned();
    let text = t.render_text(&p);
    let back: Value = serde_json::from_str(&text).expect("still JSON");
    assert_eq!(back["crossAccountRoleName"], "quote\"and\\slash");
    assert_eq!(back["note"], "role quote\"and\\slash in cn-hangzhou");
}

#[test]
fn nested_positions_are_found_and_matched() {
    let t = Template::parse(
        r#"{"env":{"type":"${envType}"},"cluster":["${clusterId}"],"cross":{"owner":"${crossAccountOwnerId}","role":"${crossAccountRoleName}"}}"#,
    )
    .expect("valid");
    let existing = json!({"env":{"type":"prod"},"cluster":["c-4f2a9b1c8d3e7a60"],"cross":{"owner":1688000000000002_u64,"role":"emrrole"},"extra":1});
    assert!(t.matches(&existing, &params("Prod"), None));
    assert!(!t.matches(&existing, &params("Dev"), None));
    assert_eq!(t.env_of(&existing).as_deref(), Some("prod"));
}

#[test]
fn matching_compares_each_identifying_field() {
    let t = Template::default_template();
    let mine = t.render(&params("Prod"));
    assert!(t.matches(&mine, &params("Prod"), None));
    for (key, other) in [
        ("crossAccountOwnerId", "1688000000000009"),
        ("crossAccountRoleName", "OtherRole"),
        ("clusterId", "C-0B1C2D3E4F5A6B7C"),
        ("envType", "Dev"),
    ] {
        let mut changed = mine.clone();
        changed[key] = json!(other);
        assert!(!t.matches(&changed, &params("Prod"), None), "{key}");
    }
    let mut no_env = mine.clone();
    no_env.as_object_mut().expect("object").remove("envType");
    assert!(t.matches(&no_env, &params("Prod"), Some("PROD")));
    assert!(!t.matches(&no_env, &params("Prod"), None));
}

#[test]
fn bad_templates_are_refused_with_the_reason() {
    assert!(matches!(
        Template::parse("{not json"),
        Err(TemplateError::NotJson(_))
    ));
    assert!(matches!(
        Template::parse("[1]"),
        Err(TemplateError::NotAnObject)
    ));
    let err = Template::parse(r#"{"envType":"${envType}","clusterId":"${clusterId}","crossAccountRoleName":"${crossAccountRoleName}"}"#)
        .expect_err("missing owner");
    assert!(err.to_string().contains("${crossAccountOwnerId}"), "{err}");
    let err = Template::parse(r#"{"envType":"${envType}","clusterId":"${clusterID}"}"#)
        .expect_err("typo");
    assert!(err.to_string().contains("${clusterID}"), "{err}");
    let err = Template::parse(r#"{"envType":"${envType}-x","clusterId":"${clusterId}","crossAccountOwnerId":"${crossAccountOwnerId}","crossAccountRoleName":"${crossAccountRoleName}"}"#)
        .expect_err("env not whole");
    assert!(
        matches!(err, TemplateError::MissingPlaceholder(Placeholder::EnvType)),
        "{err}"
    );
}
