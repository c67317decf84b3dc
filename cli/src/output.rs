//! How associations and events are shown: readable lines for people, JSON for automation.

use crossbind_proto::{
    Association, AssociationEvent, AssociationState, Diagnosis, DriftReport, EventKind, Failure,
    Finding, PendingAction, PendingKind, Plan, Severity, StepState,
};
use serde_json::{Value, json};

/// Prints one line on stdout. When the reader has gone away (`crossbind list | head`), the
/// process ends quietly with success, as command-line tools do, instead of panicking.
#[macro_export]
macro_rules! say {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// The function behind [`say!`].
pub fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("crossbind: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Output format chosen with `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Human,
    /// One JSON document for programs.
    Json,
}

/// `SUCCEEDED`, `FAILED`, ... (the enum name without its prefix).
pub fn state_name(state: AssociationState) -> &'static str {
    state.as_str_name().trim_start_matches("ASSOCIATION_STATE_")
}

fn step_state_name(state: StepState) -> &'static str {
    state.as_str_name().trim_start_matches("STEP_STATE_")
}

/// The association as one JSON object.
pub fn association_json(association: &Association) -> Value {
    let request = association.request.clone().unwrap_or_default();
    json!({
        "id": association.id,
        "state": state_name(association.state()),
        "provider_account_uid": request.provider_account_uid,
        "cluster_id": request.cluster_id,
        "consumer_account_uid": request.consumer_account_uid,
        "workspace_id": request.workspace_id,
        "role_name": request.role_name,
        "role_arn": association.role_arn,
        "role_created": association.role_created,
        "trust_policy": association.trust_policy,
        "compute_resources": association.resources.iter().map(|r| json!({
            "environment": r.environment().dataworks_name(),
            "id": r.compute_resource_id,
            "name": r.compute_resource_name,
            "created": r.created,
        })).collect::<Vec<_>>(),
        "steps": association.steps.iter().map(|s| json!({
            "name": s.name,
            "state": step_state_name(s.state()),
            "message": s.message,
        })).collect::<Vec<_>>(),
        "failure": association.failure.as_ref().map(failure_json),
        "drift": association.drift.as_ref().map(drift_json),
        "resource_group": association.resource_group.as_ref().map(|g| json!({
            "id": g.resource_group_id,
            "name": g.name,
            "type": g.r#type,
            "status": g.status,
            "vpc_id": g.vpc_id,
            "vswitch_id": g.vswitch_id,
            "bound": g.bound,
            "bound_by_crossbind": association.resource_group_bound,
        })),
        "pending": association.pending.as_ref().map(pending_json),
        "initialization": association.initialization.as_ref().map(|i| json!({
            "resource_group_id": i.resource_group_id,
            "confirmed_at": i.confirmed_at,
            "confirmed_by": i.confirmed_by,
            "config_fingerprint": i.config_fingerprint,
            "release_version": i.release_version,
            "outside_window": i.outside_window,
        })),
        "reinitialization_due": association.reinitialization_due,
        "account_mappings": association.mappings.iter().map(|m| {
            let mapping = m.mapping.clone().unwrap_or_default();
            json!({
                "member_uid": mapping.member_uid,
                "cluster_account": mapping.cluster_account,
                "added_by_association": m.added,
            })
        }).collect::<Vec<_>>(),
        "hadoop_auth_type": association.hadoop_auth_type,
        "diagnosis": association.diagnosis.as_ref().map(diagnosis_json),
        "requested_by": association.requested_by,
        "created_at": association.created_at,
        "updated_at": association.updated_at,
    })
}

fn failure_json(failure: &Failure) -> Value {
    json!({
        "step": failure.step,
        "code": failure.code,
        "reasons": failure.reasons,
        "message": failure.message,
    })
}

fn pending_json(pending: &PendingAction) -> Value {
    json!({
        "kind": pending.kind().as_str_name().trim_start_matches("PENDING_KIND_"),
        "step": pending.step,
        "window_start": pending.window_start,
        "window_end": pending.window_end,
        "windows": pending.windows,
        "instructions": pending.instructions,
        "console_url": pending.console_url,
        "since": pending.since,
    })
}

fn severity_name(severity: Severity) -> &'static str {
    severity.as_str_name().trim_start_matches("SEVERITY_")
}

fn finding_json(finding: &Finding) -> Value {
    json!({
        "severity": severity_name(finding.severity()),
        "code": finding.code,
        "account_uid": finding.account_uid,
        "subject": finding.subject,
        "message": finding.message,
        "fix": finding.fix,
    })
}

/// A diagnosis as one JSON object.
pub fn diagnosis_json(diagnosis: &Diagnosis) -> Value {
    json!({
        "association_id": diagnosis.association_id,
        "checked_at": diagnosis.checked_at,
        "trigger": diagnosis.trigger,
        "healthy": !diagnosis.findings.iter().any(|f| f.severity() == Severity::Error),
        "findings": diagnosis.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "unchecked": diagnosis.unchecked,
        "errors": diagnosis.errors,
    })
}

/// A diagnosis as readable lines: each finding with what to fix, then what was not checked.
pub fn diagnosis_text(diagnosis: &Diagnosis) -> String {
    let mut out = vec![format!(
        "diagnosis of association {} ({}, {}):",
        diagnosis.association_id, diagnosis.trigger, diagnosis.checked_at
    )];
    for finding in &diagnosis.findings {
        out.push(format!(
            "  {:<7} {}  account {}  {}: {}",
            severity_name(finding.severity()),
            finding.code,
            finding.account_uid,
            finding.subject,
            finding.message
        ));
        out.push(format!("          fix: {}", finding.fix));
    }
    for error in &diagnosis.errors {
        out.push(format!("  not asked: {error}"));
    }
    if !diagnosis.unchecked.is_empty() {
        out.push("  not checked:".to_string());
        out.extend(diagnosis.unchecked.iter().map(|u| format!("    - {u}")));
    }
    out.join("\n")
}

/// A plan as one JSON object.
pub fn plan_json(plan: &Plan) -> Value {
    json!({
        "initialization": plan.initialization.as_ref().map(|i| json!({
            "window_start": i.window_start,
            "window_end": i.window_end,
            "windows": i.windows,
            "instructions": i.instructions,
        })),
        "changes": plan.changes.iter().map(|c| json!({
            "step": c.step,
            "account_uid": c.account_uid,
            "action": c.action,
            "description": c.description,
        })).collect::<Vec<_>>(),
        "failure": plan.failure.as_ref().map(failure_json),
        "warnings": plan.warnings,
    })
}

/// `FAILED_PRECONDITION; KERBEROS_ENABLED`, without repeating a reason equal to the code.
fn code_and_reasons(failure: &Failure) -> String {
    let mut parts = vec![failure.code.as_str()];
    parts.extend(
        failure
            .reasons
            .iter()
            .map(String::as_str)
            .filter(|r| *r != failure.code),
    );
    parts.join("; ")
}

/// A plan as readable lines.
pub fn plan_text(plan: &Plan) -> String {
    if let Some(failure) = &plan.failure {
        return format!(
            "nothing would be changed: {} fails [{}]\n  {}",
            failure.step,
            code_and_reasons(failure),
            failure.message
        );
    }
    let warnings = plan.warnings.iter().map(|w| format!("  warning: {w}"));
    if plan.changes.is_empty() {
        let mut out = vec!["no changes: everything is already in place".to_string()];
        out.extend(warnings);
        return out.join("\n");
    }
    let mut out = vec![format!("{} change(s) would be made:", plan.changes.len())];
    out.extend(warnings);
    for change in &plan.changes {
        out.push(format!(
            "  {:<20} account {}  {:<38} {}",
            change.step, change.account_uid, change.action, change.description
        ));
    }
    out.join("\n")
}

/// A drift report as one JSON object.
pub fn drift_json(report: &DriftReport) -> Value {
    json!({
        "association_id": report.association_id,
        "drifted": report.drifted,
        "checked_at": report.checked_at,
        "reinitialization_due": report.reinitialization_due,
        "drifts": report.drifts.iter().map(|d| json!({
            "account_uid": d.account_uid,
            "resource": d.resource,
            "description": d.description,
        })).collect::<Vec<_>>(),
    })
}

/// A drift report as readable lines.
pub fn drift_text(report: &DriftReport) -> String {
    let reinit = if report.reinitialization_due.is_empty() {
        String::new()
    } else {
        format!(
            "\n  re-initialization due: {}; apply the association again (off-peak)",
            report.reinitialization_due
        )
    };
    if !report.drifted {
        let headline = if reinit.is_empty() {
            "no drift"
        } else {
            "no drift, but the resource group must be initialized again"
        };
        return format!(
            "{headline}: association {} is as it was set up (checked {}){reinit}",
            report.association_id, report.checked_at
        );
    }
    let mut out = vec![format!(
        "drift in association {} (checked {}):",
        report.association_id, report.checked_at
    )];
    for drift in &report.drifts {
        out.push(format!(
            "  account {}  {} {}",
            drift.account_uid, drift.resource, drift.description
        ));
    }
    out.push("  run `crossbind associate` with the same parameters again to repair it".into());
    out.join("\n") + &reinit
}

/// One event as a line: `  12:00:01  trust           ✓ role ...`.
pub fn event_line(event: &AssociationEvent) -> String {
    let mark = match event.kind() {
        EventKind::StepStarted => "…",
        EventKind::StepSucceeded => "✓",
        EventKind::StepFailed => "✗",
        EventKind::StepSkipped => "-",
        EventKind::Info => "·",
        EventKind::StepRetrying => "↻",
        EventKind::DriftDetected => "!",
        EventKind::ActionRequired => "▶",
        EventKind::Warning => "⚠",
        EventKind::ReinitializationDue => "!",
        EventKind::Diagnosis => "?",
        EventKind::Waiting => "⏸",
        EventKind::AssociationFinished => "■",
        EventKind::Unspecified => " ",
    };
    let time = event.time.get(11..19).unwrap_or(&event.time);
    let step = if event.step.is_empty() {
        "association"
    } else {
        &event.step
    };
    // A multi-line message (the operator's instructions) stays indented under its event.
    let message = event.message.replace('\n', "\n              ");
    format!("  {time}  {step:<20} {mark} {message}")
}

/// The association as a few readable lines.
pub fn association_text(association: &Association) -> String {
    let request = association.request.clone().unwrap_or_default();
    let mut out = vec![
        format!(
            "association {}: {}",
            association.id,
            state_name(association.state())
        ),
        format!(
            "  cluster        {} in account {} (provider)",
            request.cluster_id, request.provider_account_uid
        ),
        format!(
            "  workspace      {} in account {} (consumer)",
            request.workspace_id, request.consumer_account_uid
        ),
    ];
    if !association.role_arn.is_empty() {
        let origin = if association.role_created {
            "created"
        } else {
            "existing"
        };
        out.push(format!(
            "  role           {} ({origin})",
            association.role_arn
        ));
        out.push(format!("  trust policy   {}", association.trust_policy));
    }
    for resource in &association.resources {
        out.push(format!(
            "  compute        {:<4} id {} ({}){}",
            resource.environment().dataworks_name(),
            resource.compute_resource_id,
            resource.compute_resource_name,
            if resource.created {
                ", created"
            } else {
                ", already there"
            }
        ));
    }
    if let Some(group) = &association.resource_group {
        out.push(format!(
            "  resource group {} ({}, {}) in VPC {}{}",
            group.resource_group_id,
            group.name,
            group.status,
            group.vpc_id,
            if association.resource_group_bound {
                ", bound by crossbind"
            } else if group.bound {
                ", bound"
            } else {
                ", not bound"
            }
        ));
    }
    for applied in &association.mappings {
        let mapping = applied.mapping.clone().unwrap_or_default();
        out.push(format!(
            "  mapping        member {} -> cluster account {}{}",
            mapping.member_uid,
            mapping.cluster_account,
            if applied.added { " (added)" } else { "" }
        ));
    }
    if let Some(init) = &association.initialization {
        out.push(format!(
            "  initialized    resource group {} confirmed by {} at {}{}",
            init.resource_group_id,
            init.confirmed_by,
            init.confirmed_at,
            if init.outside_window {
                ", outside the off-peak windows"
            } else {
                ""
            }
        ));
    }
    if !association.reinitialization_due.is_empty() {
        out.push(format!(
            "  re-initialize  due: {}; apply the association again",
            association.reinitialization_due
        ));
    }
    if let Some(pending) = &association.pending {
        match pending.kind() {
            PendingKind::OffPeakWindow => out.push(format!(
                "  waiting        for the off-peak window ({}) opening at {}; \
                 `crossbind confirm {} --now` starts now",
                pending.windows, pending.window_start, association.id
            )),
            _ => {
                out.push(
                    "  waiting        for an operator to initialize the resource group:".into(),
                );
                out.extend(pending.instructions.lines().map(|l| format!("    {l}")));
            }
        }
    }
    if let Some(diagnosis) = &association.diagnosis
        && association.failure.is_some()
    {
        for finding in diagnosis
            .findings
            .iter()
            .filter(|f| f.severity() >= Severity::Warning)
        {
            out.push(format!(
                "  finding        {} {}: {} (fix: {})",
                severity_name(finding.severity()),
                finding.subject,
                finding.message,
                finding.fix
            ));
        }
    }
    if let Some(failure) = &association.failure {
        out.push(format!(
            "  failed at      {} [{}]",
            failure.step,
            code_and_reasons(failure)
        ));
        out.push(format!("  reason         {}", failure.message));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbind_proto::{CreateAssociationRequest, Environment, Failure, RegisteredResource};

    #[test]
    fn json_carries_state_resources_and_failure() {
        let association = Association {
            id: "a".into(),
            state: AssociationState::Failed as i32,
            request: Some(CreateAssociationRequest {
                cluster_id: "C-1".into(),
                ..Default::default()
            }),
            resources: vec![RegisteredResource {
                environment: Environment::Prod as i32,
                compute_resource_id: "7".into(),
                compute_resource_name: "n".into(),
                created: true,
            }],
            failure: Some(Failure {
                step: "preflight.cluster".into(),
                code: "FAILED_PRECONDITION".into(),
                reasons: vec!["KERBEROS_ENABLED".into()],
                message: "Kerberos".into(),
            }),
            ..Default::default()
        };
        let value = association_json(&association);
        assert_eq!(value["state"], "FAILED");
        assert_eq!(value["cluster_id"], "C-1");
        assert_eq!(value["compute_resources"][0]["environment"], "Prod");
        assert_eq!(value["failure"]["reasons"][0], "KERBEROS_ENABLED");
        let text = association_text(&association);
        assert!(text.contains("KERBEROS_ENABLED"), "{text}");
    }
}
