//! The plan of a resource-group initialization: the off-peak window to do it in and the exact
//! console steps, since no public API initializes a resource group for an EMR cluster
//! (facts §5.2, §10). Builds text only; it reads no cloud state and no clock.

use std::fmt::Write;

use crossbind_aliyun::ids::{AccountUid, ClusterId, WorkspaceId};
use crossbind_proto::{Environment, InitializationPlan};
use jiff::Timestamp;

use crate::config::Initialization;
use crate::offpeak::{describe, next_window, rfc3339_in, zone_name};

/// What one initialization is for, validated and looked up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    /// The agent's region.
    pub(crate) region: &'a str,
    pub(crate) workspace: &'a WorkspaceId,
    pub(crate) workspace_name: &'a str,
    pub(crate) group_id: &'a str,
    pub(crate) group_name: &'a str,
    pub(crate) provider: &'a AccountUid,
    pub(crate) cluster: &'a ClusterId,
    pub(crate) resource_name: &'a str,
    pub(crate) environments: &'a [Environment],
    pub(crate) reason: &'a str,
}

/// The plan for `subject`: the window open at or next after `after`, and the steps.
pub(crate) fn plan(
    config: &Initialization,
    subject: &Subject<'_>,
    after: Timestamp,
) -> Result<InitializationPlan, crate::error::Error> {
    let tz = &config.time_zone;
    let window = next_window(&config.off_peak, tz, after);
    let windows = describe(&config.off_peak, tz);
    if window.is_none() && !config.off_peak.is_empty() {
        // Windows are configured but none comes: never mistake that for "any time".
        return Err(crate::error::Error::NoWindowAhead {
            windows,
            after: after.to_string(),
        });
    }
    let (window_start, window_end) = match window {
        Some((start, end)) => (rfc3339_in(start, tz), rfc3339_in(end, tz)),
        None => (String::new(), String::new()),
    };
    let when = match window {
        Some((start, _)) if start <= after => format!(
            "now: the off-peak window from {window_start} to {window_end} ({}) is open; finish \
             before it closes",
            zone_name(tz)
        ),
        Some(_) => format!(
            "in the off-peak window from {window_start} to {window_end} ({})",
            zone_name(tz)
        ),
        None => "at a quiet time of your choosing: no off-peak windows are configured".to_owned(),
    };
    Ok(InitializationPlan {
        window_start,
        window_end,
        windows,
        instructions: instructions(&config.console_url, subject, &when),
        console_url: config.console_url.clone(),
    })
}

/// The numbered console steps.
fn instructions(console_url: &str, s: &Subject<'_>, when: &str) -> String {
    let envs = environments(s.environments);
    let each = if s.environments.len() > 1 {
        format!("once for each environment ({envs})")
    } else {
        format!("for the {envs} environment")
    };
    let group = format!("{} ({})", s.group_name, s.group_id);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "Initialize resource group {group} for EMR cluster {} of account {} in workspace {} \
         (ID {}), region {}.",
        s.cluster, s.provider, s.workspace_name, s.workspace, s.region
    );
    let _ = writeln!(out, "Why: {}.", s.reason.trim_end_matches('.'));
    let _ = writeln!(out, "When: {when}.");
    let _ = writeln!(
        out,
        "Warning: tasks running on resource group {group} may fail while it is initialized; \
         do it off-peak."
    );
    let steps = [
        format!(
            "Open the DataWorks console at {console_url} and select region {}.",
            s.region
        ),
        format!(
            "Open the Management Center of workspace {} (ID {}).",
            s.workspace_name, s.workspace
        ),
        format!(
            "Go to Computing Resources and find compute resource {} (EMR cluster {} of account \
             {}; environments: {envs}).",
            s.resource_name, s.cluster, s.provider
        ),
        format!(
            "On compute resource {}, click \"Initialize Resource Group\", choose resource group \
             {group} and start the initialization, {each}.",
            s.resource_name
        ),
        "Wait until the console reports the initialization as successful for every \
         environment; if it fails, run the console's connectivity diagnosis for the group and \
         fix what it reports before trying again."
            .to_owned(),
        "Then confirm with `crossbind confirm`.".to_owned(),
    ];
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out, "{}. {step}", i + 1);
    }
    out
}

/// `Dev and Prod`, or `Prod`.
fn environments(envs: &[Environment]) -> String {
    let names: Vec<&str> = envs.iter().map(|e| e.dataworks_name()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_windows_that_never_come_are_an_error_not_any_time() {
        // Samoa skipped 30 December 2011 (a Friday); the next Friday is out of reach.
        let config = Initialization {
            time_zone: jiff::tz::TimeZone::get("Pacific/Apia").expect("bundled zone"),
            off_peak: vec!["Fri 01:00-05:00".parse().expect("window")],
            console_url: "https://dataworks.console.aliyun.com".to_owned(),
        };
        let workspace = WorkspaceId::new("10001").expect("workspace");
        let provider = AccountUid::new("1688000000000002").expect("uid");
        let cluster = ClusterId::new("C-4F2A9B1C8D3E7A60").expect("cluster");
        let subject = Subject {
            region: "cn-hangzhou",
            workspace: &workspace,
            workspace_name: "analytics",
            group_id: "rg",
            group_name: "rg",
            provider: &provider,
            cluster: &cluster,
            resource_name: "r",
            environments: &[Environment::Prod],
            reason: "first",
        };
        let after: Timestamp = "2011-12-28T00:00:00Z".parse().expect("instant");
        let err = plan(&config, &subject, after).expect_err("no window ahead");
        assert!(
            matches!(err, crate::error::Error::NoWindowAhead { .. }),
            "{err}"
        );
        let unconfigured = Initialization {
            off_peak: Vec::new(),
            ..config
        };
        let any_time = plan(&unconfigured, &subject, after).expect("no windows: any time");
        assert!(any_time.window_start.is_empty());
    }

    #[test]
    fn environments_read_as_a_list() {
        assert_eq!(environments(&[Environment::Prod]), "Prod");
        assert_eq!(
            environments(&[Environment::Dev, Environment::Prod]),
            "Dev and Prod"
        );
    }
}
