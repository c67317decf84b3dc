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
) -> InitializationPlan {
    let tz = &config.time_zone;
    let window = next_window(&config.off_peak, tz, after);
    let windows = describe(&config.off_peak, tz);
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
    InitializationPlan {
        window_start,
        window_end,
        windows,
        instructions: instructions(&config.console_url, subject, &when),
        console_url: config.console_url.clone(),
    }
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
    fn environments_read_as_a_list() {
        assert_eq!(environments(&[Environment::Prod]), "Prod");
        assert_eq!(
            environments(&[Environment::Dev, Environment::Prod]),
            "Dev and Prod"
        );
    }
}
