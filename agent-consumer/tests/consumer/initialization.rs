//! PlanInitialization: the off-peak window for a fixed `after`, the windows sentence, and
//! instructions that name every item the operator needs; invalid requests are refused.

use crossbind_consumer::offpeak::Window;
use crossbind_proto::PlanInitializationRequest;
use jiff::tz::TimeZone;

use super::*;

const CONSOLE: &str = "https://dataworks.console.example.test";

fn shanghai_windows() -> Options {
    Options {
        initialization: Initialization {
            time_zone: TimeZone::get("Asia/Shanghai").expect("time zone"),
            off_peak: ["Mon-Fri 01:00-05:00", "Sat,Sun 00:00-24:00", "22:30-02:00"]
                .iter()
                .map(|w| w.parse::<Window>().expect("window"))
                .collect(),
            console_url: CONSOLE.to_owned(),
        },
        ..Options::default()
    }
}

fn plan_req(after: &str) -> PlanInitializationRequest {
    PlanInitializationRequest {
        workspace_id: STANDARD.to_owned(),
        resource_group_id: BOUND_GROUP.to_owned(),
        provider_account_uid: PROVIDER_UID.to_owned(),
        cluster_id: CLUSTER.to_owned(),
        compute_resource_name: "emr_cross".to_owned(),
        environments: vec![Environment::Dev as i32, Environment::Prod as i32],
        after: after.to_owned(),
        reason: "first association".to_owned(),
    }
}

#[tokio::test]
async fn the_plan_gives_the_next_window_and_steps_naming_every_item() {
    let mut h = start_opts(World::default_world(), shanghai_windows()).await;
    let before = h.cloud.mutations().len();
    // Thursday 16:30 in Shanghai: the next window is the daily one at 22:30.
    let plan = h
        .client
        .plan_initialization(plan_req("2026-01-15T08:30:00Z"))
        .await
        .expect("plan")
        .into_inner();
    assert_eq!(plan.window_start, "2026-01-15T22:30:00+08:00");
    assert_eq!(plan.window_end, "2026-01-16T02:00:00+08:00");
    assert_eq!(
        plan.windows,
        "Mon-Fri 01:00-05:00; Sat,Sun 00:00-24:00; 22:30-02:00 (every day) (Asia/Shanghai)"
    );
    assert_eq!(plan.console_url, CONSOLE);
    let text = &plan.instructions;
    for item in [
        "region cn-hangzhou",
        "workspace analytics (ID 10001)",
        "compute resource emr_cross",
        "Dev and Prod",
        BOUND_GROUP,
        "common_analytics",
        PROVIDER_UID,
        CLUSTER,
        "Why: first association.",
        CONSOLE,
        "Management Center",
        "Computing Resources",
        "\"Initialize Resource Group\"",
        "may fail",
        "`crossbind confirm`",
        "2026-01-15T22:30:00+08:00",
    ] {
        assert!(text.contains(item), "{item:?} missing from:\n{text}");
    }
    let numbered: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbered.len(), 6, "{text}");
    assert!(
        numbered[0].starts_with("1. Open the DataWorks console"),
        "{text}"
    );
    assert!(numbered[5].starts_with("6. Then confirm"), "{text}");
    assert_eq!(h.cloud.mutations().len(), before, "a plan changes nothing");

    // Saturday noon: the all-day window is open, and reported with its real bounds.
    let open = h
        .client
        .plan_initialization(plan_req("2026-01-17T04:00:00Z"))
        .await
        .expect("plan")
        .into_inner();
    assert_eq!(open.window_start, "2026-01-17T00:00:00+08:00");
    assert_eq!(open.window_end, "2026-01-18T00:00:00+08:00");
    assert!(
        open.instructions.contains("When: now"),
        "{}",
        open.instructions
    );
}

#[tokio::test]
async fn without_windows_the_bounds_are_empty_and_any_time_is_accepted() {
    let mut h = start(World::default_world()).await;
    let mut req = plan_req("2026-01-15T08:30:00+08:00");
    req.environments = vec![Environment::Prod as i32];
    req.workspace_id = BASIC.to_owned();
    let plan = h
        .client
        .plan_initialization(req)
        .await
        .expect("plan")
        .into_inner();
    assert!(plan.window_start.is_empty() && plan.window_end.is_empty());
    assert!(
        plan.windows.contains("no off-peak windows"),
        "{}",
        plan.windows
    );
    assert!(plan.windows.contains("(UTC)"), "{}", plan.windows);
    assert_eq!(plan.console_url, "https://dataworks.console.aliyun.com");
    assert!(
        plan.instructions.contains("for the Prod environment"),
        "{}",
        plan.instructions
    );
    assert!(
        plan.instructions.contains("workspace reporting (ID 10002)"),
        "{}",
        plan.instructions
    );
}

#[tokio::test]
async fn plans_validate_every_field() {
    let mut h = start(World::default_world()).await;
    let cases: Vec<(PlanInitializationRequest, Code, &str)> = vec![
        (
            PlanInitializationRequest {
                after: String::new(),
                ..plan_req("")
            },
            Code::InvalidArgument,
            "after is required",
        ),
        (
            plan_req("yesterday"),
            Code::InvalidArgument,
            "is not an RFC 3339 instant",
        ),
        (
            PlanInitializationRequest {
                environments: Vec::new(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::InvalidArgument,
            "environments is required",
        ),
        (
            PlanInitializationRequest {
                environments: vec![Environment::Prod as i32, 0],
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::InvalidArgument,
            "environments[1]",
        ),
        (
            PlanInitializationRequest {
                reason: " ".to_owned(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::InvalidArgument,
            "reason is required",
        ),
        (
            PlanInitializationRequest {
                compute_resource_name: "1bad".to_owned(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::InvalidArgument,
            "compute_resource_name",
        ),
        (
            PlanInitializationRequest {
                workspace_id: "99999".to_owned(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::NotFound,
            "workspace 99999 not found",
        ),
        (
            PlanInitializationRequest {
                resource_group_id: "Serverless_res_group_nope".to_owned(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::NotFound,
            "resource group Serverless_res_group_nope does not exist",
        ),
        (
            PlanInitializationRequest {
                provider_account_uid: "1688000000000777".to_owned(),
                ..plan_req("2026-01-15T08:30:00Z")
            },
            Code::PermissionDenied,
            "consent.provider_accounts",
        ),
    ];
    for (req, code, text) in cases {
        let status = h
            .client
            .plan_initialization(req)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), code, "{}", status.message());
        assert!(
            status.message().contains(text),
            "{text}: {}",
            status.message()
        );
    }
}
