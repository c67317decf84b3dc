//! Workspace checks, registration and unregistration of compute resources, and start-up.

use super::*;

#[tokio::test]
async fn workspace_modes_give_their_environments() {
    let mut h = start(World::default_world()).await;
    let standard = h
        .client
        .check_workspace(check_req(STANDARD))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(standard.mode, WorkspaceMode::Standard as i32);
    assert_eq!(
        standard.environments,
        [Environment::Dev as i32, Environment::Prod as i32]
    );
    assert_eq!(standard.name, "analytics");
    assert_eq!(standard.status, "Available");
    let basic = h
        .client
        .check_workspace(check_req(BASIC))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(basic.mode, WorkspaceMode::Basic as i32);
    assert_eq!(basic.environments, [Environment::Prod as i32]);
    let id = h
        .client
        .get_identity(GetIdentityRequest {})
        .await
        .expect("identity")
        .into_inner();
    assert_eq!(id.account_uid, CONSUMER_UID);
}

#[tokio::test]
async fn unknown_workspace_is_not_found() {
    let mut h = start(World::default_world()).await;
    let status = h
        .client
        .check_workspace(check_req("99999"))
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound, "{}", status.message());
    assert_eq!(
        status.message(),
        format!("workspace 99999 not found in region cn-hangzhou of account {CONSUMER_UID}")
    );
}

#[tokio::test]
async fn a_provider_outside_consent_is_refused() {
    let mut h = start(World::default_world()).await;
    let mut req = check_req(STANDARD);
    req.provider_account_uid = "1688000000000777".to_owned();
    let status = h.client.check_workspace(req).await.expect_err("refused");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("consent.provider_accounts"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn registration_before_trust_fails_after_the_propagation_timeout() {
    let mut h = start(World::default_world()).await;
    let started = std::time::Instant::now();
    let status = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Prod,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect_err("no trust yet");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for the timeout"
    );
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "{}",
        status.message()
    );
    let text = status.message();
    assert!(text.contains("Forbidden.CrossAccountRole"), "{text}");
    assert!(text.contains("RequestId"), "{text}");
    assert!(resources(&h, STANDARD).is_empty());
}

#[tokio::test]
async fn registration_after_trust_succeeds_and_a_repeat_finds_it() {
    let mut h = start(trusted_world(0)).await;
    let dev = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Dev,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect("dev")
        .into_inner();
    let prod = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Prod,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect("prod")
        .into_inner();
    assert!(dev.created && prod.created);
    assert_eq!(dev.propagation_retries, 0);
    assert_ne!(dev.compute_resource_id, prod.compute_resource_id);
    let stored = resources(&h, STANDARD);
    assert_eq!(stored.len(), 2, "{stored:?}");

    let mutations = h.cloud.mutations().len();
    let again = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Prod,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect("repeat")
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.compute_resource_id, prod.compute_resource_id);
    assert_eq!(again.compute_resource_name, "emr_cross");
    let props: Value = serde_json::from_str(&again.connection_properties).expect("JSON");
    assert_eq!(props["crossAccountOwnerId"], PROVIDER_UID);
    assert_eq!(
        h.cloud.mutations().len(),
        mutations,
        "a repeat makes no write call"
    );
}

#[tokio::test]
async fn propagation_delay_is_waited_out_and_counted() {
    let registration = Registration {
        propagation: PropagationPolicy {
            timeout: Duration::from_secs(10),
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_millis(400),
        },
        ..registration(Template::default_template())
    };
    let mut world = trusted_world(1);
    let provider_keys = credentials_of(&world, PROVIDER_UID);
    for account in &mut world.accounts {
        for role in &mut account.roles {
            role.policies.clear();
        }
    }
    let mut h = start_with(world, registration).await;
    // The provider attaches the policy just now: RAM takes a second to make it effective.
    let ram = Client::new(provider_keys, h.cloud.cloud_config().client_config()).expect("client");
    ram.attach_policy_to_role(
        crossbind_aliyun::ram::PolicyType::System,
        crossbind_aliyun::ram::DATAWORKS_EMR_POLICY,
        &RoleName::new("EMRRole").expect("role"),
    )
    .await
    .expect("attach");
    let registered = h
        .client
        .register_cluster(register_req(BASIC, Environment::Prod, CLUSTER, "emr_cross"))
        .await
        .expect("registered once the role is in effect")
        .into_inner();
    assert!(registered.created);
    assert!(registered.propagation_retries >= 1, "{registered:?}");
    assert_eq!(resources(&h, BASIC).len(), 1);
}

#[tokio::test]
async fn the_configured_template_is_what_dataworks_stores() {
    let template = Template::parse(
        r#"{"envType":"${envType}","regionId":"${regionId}","clusterId":"${clusterId}","crossAccountOwnerId":"${crossAccountOwnerId}","crossAccountRoleName":"${crossAccountRoleName}","authType":"RamRole","proxyUser":"crossbind-${clusterId}"}"#,
    )
    .expect("template");
    let mut h = start_with(trusted_world(0), registration(template)).await;
    h.client
        .register_cluster(register_req(BASIC, Environment::Prod, CLUSTER, "emr_cross"))
        .await
        .expect("registered");
    let stored = resources(&h, BASIC);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0]["ConnectionProperties"]["proxyUser"],
        format!("crossbind-{CLUSTER}")
    );
    assert_eq!(stored[0]["ConnectionProperties"]["envType"], "Prod");
}

#[tokio::test]
async fn a_taken_name_is_a_failed_precondition() {
    let mut h = start(trusted_world(0)).await;
    h.client
        .register_cluster(register_req(BASIC, Environment::Prod, CLUSTER, "emr_cross"))
        .await
        .expect("first");
    let status = h
        .client
        .register_cluster(register_req(
            BASIC,
            Environment::Prod,
            OTHER_CLUSTER,
            "emr_cross",
        ))
        .await
        .expect_err("name taken");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status
            .message()
            .contains("pick another compute_resource_name"),
        "{}",
        status.message()
    );
    assert_eq!(resources(&h, BASIC).len(), 1);
}

#[tokio::test]
async fn dev_in_a_basic_workspace_is_refused_by_dataworks() {
    let mut h = start(trusted_world(0)).await;
    let status = h
        .client
        .register_cluster(register_req(BASIC, Environment::Dev, CLUSTER, "emr_cross"))
        .await
        .expect_err("no dev in basic mode");
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("RequestId"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn a_dry_run_changes_nothing() {
    let mut h = start(trusted_world(0)).await;
    let before = h.cloud.mutations().len();
    let mut req = register_req(STANDARD, Environment::Dev, CLUSTER, "emr_cross");
    req.dry_run = true;
    let plan = h
        .client
        .register_cluster(req)
        .await
        .expect("plan")
        .into_inner();
    assert!(plan.created, "the plan says it would create");
    assert!(plan.compute_resource_id.is_empty());
    assert_eq!(h.cloud.mutations().len(), before);
    assert!(resources(&h, STANDARD).is_empty());
}

#[tokio::test]
async fn unregistering_twice_reports_the_second_as_already_gone() {
    let mut h = start(trusted_world(0)).await;
    let registered = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Dev,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect("registered")
        .into_inner();
    let req = UnregisterClusterRequest {
        workspace_id: STANDARD.to_owned(),
        environment: Environment::Dev as i32,
        compute_resource_id: registered.compute_resource_id.clone(),
        dry_run: false,
        ..Default::default()
    };
    let first = h
        .client
        .unregister_cluster(req.clone())
        .await
        .expect("first")
        .into_inner();
    assert!(first.deleted);
    assert!(resources(&h, STANDARD).is_empty());
    let second = h
        .client
        .unregister_cluster(req)
        .await
        .expect("second")
        .into_inner();
    assert!(!second.deleted);
}

#[tokio::test]
async fn unregistering_without_an_id_finds_the_resource_by_what_it_connects_to() {
    let mut h = start(trusted_world(0)).await;
    for env in [Environment::Dev, Environment::Prod] {
        h.client
            .register_cluster(register_req(STANDARD, env, CLUSTER, "emr_cross"))
            .await
            .expect("registered");
    }
    let by_properties = UnregisterClusterRequest {
        workspace_id: STANDARD.to_owned(),
        environment: Environment::Dev as i32,
        compute_resource_id: String::new(),
        dry_run: false,
        provider_account_uid: PROVIDER_UID.to_owned(),
        role_name: "EMRRole".to_owned(),
        cluster_id: CLUSTER.to_owned(),
    };
    let first = h
        .client
        .unregister_cluster(by_properties.clone())
        .await
        .expect("first")
        .into_inner();
    assert!(first.deleted);
    let left = resources(&h, STANDARD);
    assert_eq!(left.len(), 1, "only the Dev resource is gone: {left:?}");
    let again = h
        .client
        .unregister_cluster(by_properties)
        .await
        .expect("again")
        .into_inner();
    assert!(!again.deleted, "already gone is success");
}

#[tokio::test]
async fn unregistering_checks_the_environment() {
    let mut h = start(trusted_world(0)).await;
    let registered = h
        .client
        .register_cluster(register_req(
            STANDARD,
            Environment::Dev,
            CLUSTER,
            "emr_cross",
        ))
        .await
        .expect("registered")
        .into_inner();
    let status = h
        .client
        .unregister_cluster(UnregisterClusterRequest {
            workspace_id: STANDARD.to_owned(),
            environment: Environment::Prod as i32,
            compute_resource_id: registered.compute_resource_id,
            dry_run: false,
            ..Default::default()
        })
        .await
        .expect_err("wrong environment");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(resources(&h, STANDARD).len(), 1);
}

#[tokio::test]
async fn start_up_is_refused_when_the_keys_belong_to_another_account() {
    trace_init();
    let world = World::default_world();
    let provider_keys = credentials_of(&world, PROVIDER_UID);
    let cloud = TestCloud::start(world).await;
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = config(&cloud, &pki, &Options::default());
    let err = crossbind_consumer::serve_with(config, listener, provider_keys, async {})
        .await
        .expect_err("refused");
    assert!(matches!(err, AgentError::AccountMismatch { .. }), "{err}");
}
