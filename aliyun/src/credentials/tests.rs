//! Unit tests of the credential chain against temporary home directories, and of redaction.

use super::*;

const MARKER: &str = "MARKER-SECRET-7f3a";

fn home() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cli_config(home: &Path, text: &str) {
    write(&home.join(".aliyun/config.json"), text);
}

#[test]
fn debug_output_is_pinned_and_redacted() {
    let secret = Secret::new(MARKER);
    assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
    assert_eq!(format!("{secret:#?}"), "Secret([REDACTED])");
    let creds = Credentials::new("LTAIexample", MARKER).with_security_token(MARKER);
    assert_eq!(
        format!("{creds:?}"),
        "Credentials { access_key_id: \"LTAIexample\", access_key_secret: Secret([REDACTED]), \
         security_token: Some(Secret([REDACTED])) }"
    );
    assert!(!format!("{creds:#?}").contains(MARKER));
    assert_eq!(creds.access_key_secret.expose(), MARKER);
    let env = MapEnv::new().with_var(ENV_ACCESS_KEY_SECRET, MARKER);
    assert!(!format!("{env:?}").contains(MARKER));
}

#[test]
fn environment_comes_first() {
    let dir = home();
    cli_config(
        dir.path(),
        r#"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"CLI","access_key_secret":"x"}]}"#,
    );
    let env = MapEnv::new()
        .with_home(dir.path())
        .with_var(ENV_ACCESS_KEY_ID, "ENVID")
        .with_var(ENV_ACCESS_KEY_SECRET, "envsecret")
        .with_var(ENV_SECURITY_TOKEN, "envtoken");
    let creds = default_chain(&env).unwrap();
    assert_eq!(creds.access_key_id, "ENVID");
    assert_eq!(creds.access_key_secret.expose(), "envsecret");
    assert_eq!(creds.security_token.unwrap().expose(), "envtoken");
}

#[test]
fn an_empty_env_secret_moves_on_to_the_next_source() {
    let dir = home();
    cli_config(
        dir.path(),
        r#"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"CLI","access_key_secret":"x"}]}"#,
    );
    let env = MapEnv::new()
        .with_home(dir.path())
        .with_var(ENV_ACCESS_KEY_ID, "ENVID")
        .with_var(ENV_ACCESS_KEY_SECRET, "");
    assert_eq!(default_chain(&env).unwrap().access_key_id, "CLI");
}

#[test]
fn cli_profile_modes_and_selection() {
    let dir = home();
    cli_config(
        dir.path(),
        r#"{"current":"ak","profiles":[
            {"name":"ak","mode":"AK","access_key_id":"AKID","access_key_secret":"aks","region_id":"cn-hangzhou"},
            {"name":"sts","mode":"StsToken","access_key_id":"STS.ID","access_key_secret":"stss","sts_token":"tok"},
            {"name":"role","mode":"RamRoleArn","access_key_id":"A","access_key_secret":"B","ram_role_arn":"acs:ram::1:role/x"},
            {"name":"broken","mode":"AK","access_key_id":"A"}
        ]}"#,
    );
    let base = MapEnv::new().with_home(dir.path());
    let ak = default_chain(&base).unwrap();
    assert_eq!(ak.access_key_id, "AKID");
    assert!(ak.security_token.is_none());

    let sts = default_chain(&base.clone().with_var(ENV_PROFILE, "sts")).unwrap();
    assert_eq!(sts.access_key_id, "STS.ID");
    assert_eq!(sts.security_token.unwrap().expose(), "tok");

    let err = default_chain(&base.clone().with_var(ENV_PROFILE, "role")).unwrap_err();
    assert!(matches!(&err, Error::Unsupported { mode, .. } if mode == "RamRoleArn"));
    let text = err.to_string();
    assert!(
        text.contains("\"RamRoleArn\"") && text.contains("not supported yet"),
        "{text}"
    );
    assert!(text.contains("profile \"role\""), "{text}");

    let err = default_chain(&base.clone().with_var(ENV_PROFILE, "broken")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid credentials in profile \"broken\" in {}: access_key_secret is missing or empty",
            dir.path().join(".aliyun/config.json").display()
        )
    );
}

#[test]
fn cli_profile_can_be_disabled() {
    let dir = home();
    cli_config(
        dir.path(),
        r#"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"CLI","access_key_secret":"x"}]}"#,
    );
    let env = MapEnv::new()
        .with_home(dir.path())
        .with_var(ENV_CLI_PROFILE_DISABLED, "TRUE");
    let err = default_chain(&env).unwrap_err().to_string();
    assert!(
        err.contains("disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED"),
        "{err}"
    );
}

#[test]
fn malformed_cli_config_reports_position_not_content() {
    let dir = home();
    cli_config(
        dir.path(),
        &format!("{{\"profiles\":[{{\"access_key_secret\":\"{MARKER}\" \"x\"}}]}}"),
    );
    let err = default_chain(&MapEnv::new().with_home(dir.path())).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("not valid JSON (line 1, column"), "{text}");
    assert!(!text.contains(MARKER), "{text}");
}

#[test]
fn ini_file_default_locations_and_sections() {
    let dir = home();
    write(
        &dir.path().join(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = INIID\naccess_key_secret = inis\n\
         [ecs]\ntype = ecs_ram_role\nrole_name = r\n",
    );
    let env = MapEnv::new().with_home(dir.path());
    assert_eq!(default_chain(&env).unwrap().access_key_id, "INIID");
    let err = default_chain(&env.clone().with_var(ENV_PROFILE, "ecs")).unwrap_err();
    assert!(matches!(err, Error::Unsupported { mode, .. } if mode == "ecs_ram_role"));

    // credentials.ini wins over credentials.
    write(
        &dir.path().join(".alibabacloud/credentials.ini"),
        "[default]\ntype = access_key\naccess_key_id = DOTINI\naccess_key_secret = s\n",
    );
    assert_eq!(default_chain(&env).unwrap().access_key_id, "DOTINI");
}

#[test]
fn ini_file_named_by_the_environment() {
    let dir = home();
    let path = dir.path().join("elsewhere.ini");
    write(
        &path,
        "[prod]\ntype = access_key\naccess_key_id = PROD\naccess_key_secret = s\n",
    );
    let env = MapEnv::new()
        .with_var(ENV_CREDENTIALS_FILE, path.display().to_string())
        .with_var(ENV_PROFILE, "prod");
    assert_eq!(default_chain(&env).unwrap().access_key_id, "PROD");
}

#[test]
fn malformed_ini_reports_line_not_content() {
    let dir = home();
    let path = dir.path().join("c.ini");
    write(&path, &format!("[default]\n{MARKER}\n"));
    let env = MapEnv::new().with_var(ENV_CREDENTIALS_FILE, path.display().to_string());
    let err = default_chain(&env).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("line 2"), "{text}");
    assert!(!text.contains(MARKER), "{text}");
}

#[test]
fn nothing_found_lists_every_source_and_why() {
    let dir = home();
    let env = MapEnv::new()
        .with_home(dir.path())
        .with_var(ENV_ECS_METADATA, "my-role");
    let err = default_chain(&env).unwrap_err();
    let Error::NotFound { attempts } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    let sources: Vec<&str> = attempts.iter().map(|a| a.source_name.as_str()).collect();
    let cli = dir.path().join(".aliyun/config.json").display().to_string();
    assert_eq!(
        sources,
        vec![
            "environment",
            cli.as_str(),
            "credentials file",
            "environment variable ALIBABA_CLOUD_ECS_METADATA",
        ]
    );
    let text = err.to_string();
    assert!(text.starts_with("no Alibaba Cloud credentials found; tried: environment (ALIBABA_CLOUD_ACCESS_KEY_ID is not set); "), "{text}");
    assert!(text.contains("file not found"), "{text}");
    assert!(text.contains("credentials.ini: file not found"), "{text}");
    assert!(text.contains("EcsRamRole is not supported yet"), "{text}");
}

#[test]
fn oidc_environment_is_refused() {
    let mut env = MapEnv::new()
        .with_var(ENV_ACCESS_KEY_ID, "A")
        .with_var(ENV_ACCESS_KEY_SECRET, "B");
    for var in ENV_OIDC {
        env = env.with_var(var, "x");
    }
    let err = default_chain(&env).unwrap_err();
    assert!(matches!(err, Error::Unsupported { mode, .. } if mode == "OIDC"));
}
