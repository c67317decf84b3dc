//! The initialization gate. No public API initializes a DataWorks resource group for an EMR
//! cluster, and initializing can make tasks running on the group fail; so the `initialize`
//! step is an operator gate done carefully:
//!
//! 1. It runs only when due: never initialized, another resource group, or the provider
//!    reports another release or configuration fingerprint than at the last confirmed
//!    initialization.
//! 2. It asks the consumer agent for the team's next off-peak window (judged by the
//!    coordinator's clock) and the exact console steps, and waits (state `WAITING`) until the
//!    window opens — unless the request says `initialize_now` or an operator answers
//!    `confirm --now`, which is done with an explicit warning.
//! 3. At the window it emits an `ACTION_REQUIRED` event with the console steps, and waits for
//!    the operator's answer through `ConfirmInitialization`: done (the step succeeds and the
//!    fingerprint is recorded) or failed (the step fails and a diagnosis runs).
//!
//! Everything it waits for is recorded on the association (`pending`), so a coordinator that
//! restarts resumes the wait where it was, without asking the operator twice.

use std::time::Duration;

use crossbind_proto::{
    Association, AssociationState, ClusterCheck, EventKind, Failure, Initialization,
    InitializationPlan, PendingAction, PendingKind, PlanInitializationRequest, StepState,
    WorkspaceCheck, consumer_agent_client::ConsumerAgentClient,
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tonic::{Code, transport::Channel};
use tracing::info;

use super::{Engine, Slot, Spec, Stop, state_word, steps, support::*};
use crate::{error::RequestError, store::NewEvent};

/// An open window with less than this left is skipped for the next one: the operator needs
/// time to do the console steps before running tasks pick up again.
const MIN_WINDOW_LEFT: time::Duration = time::Duration::minutes(15);

/// Whether so little of an open window is left that the next one should be used: less than
/// [`MIN_WINDOW_LEFT`], and less than a quarter of the window (a short window the team chose
/// is used as it is).
fn too_late(start: OffsetDateTime, end: OffsetDateTime, now: OffsetDateTime) -> bool {
    let left = end - now;
    left < MIN_WINDOW_LEFT && left < (end - start) / 4
}

/// The longest single sleep while waiting, so that a changed clock is noticed.
const LONGEST_NAP: Duration = Duration::from_secs(30);

/// Why an initialization is due, or `None` when the recorded one still holds.
pub(super) fn due_reason(
    last: Option<&Initialization>,
    group: &str,
    cluster: &ClusterCheck,
) -> Option<String> {
    let Some(last) = last else {
        return Some(format!(
            "first initialization of resource group {group} for cluster {}",
            cluster.cluster_id
        ));
    };
    if last.resource_group_id != group {
        return Some(format!(
            "the association's resource group changed from {} to {group}",
            last.resource_group_id
        ));
    }
    if last.release_version != cluster.release_version {
        return Some(format!(
            "cluster {}'s release changed from {} to {} since the initialization confirmed at {}",
            cluster.cluster_id, last.release_version, cluster.release_version, last.confirmed_at
        ));
    }
    if last.config_fingerprint != cluster.config_fingerprint {
        return Some(format!(
            "cluster {}'s configuration changed since the initialization confirmed at {} \
             (for example core-site.xml or a component upgrade)",
            cluster.cluster_id, last.confirmed_at
        ));
    }
    None
}

/// RFC 3339 to the second (the windows are given to the second).
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `2h 5m`, `40s` ...
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// True when the association waits for its off-peak window (not yet for the operator).
pub(super) fn waits_for_window(association: &Association) -> bool {
    waiting_for(association, PendingKind::OffPeakWindow).is_some()
}

fn waiting_for(association: &Association, kind: PendingKind) -> Option<&PendingAction> {
    association
        .pending
        .as_ref()
        .filter(|p| p.kind() == kind && p.step == steps::INITIALIZE)
}

// === impl Engine ===

impl Engine {
    /// The `initialize` step.
    pub(super) async fn initialize(
        &self,
        id: &str,
        spec: &Spec,
        consumer: &ConsumerAgentClient<Channel>,
        cluster: &ClusterCheck,
        workspace: &WorkspaceCheck,
        slot: &mut Slot,
    ) -> Result<(), Stop> {
        let group = spec.resource_group.as_deref().unwrap_or_default();
        let association = self.records.get(id).unwrap_or_default();
        let Some(reason) = due_reason(association.initialization.as_ref(), group, cluster) else {
            let last = association.initialization.clone().unwrap_or_default();
            let message = format!(
                "resource group {group} was initialized for this cluster configuration \
                 (confirmed by {} at {}); nothing to do",
                last.confirmed_by, last.confirmed_at
            );
            self.records
                .update(id, |a| a.reinitialization_due = String::new());
            self.set_step(id, steps::INITIALIZE, StepState::Succeeded, &message);
            self.event(id, EventKind::StepSucceeded, steps::INITIALIZE, message);
            return Ok(());
        };
        self.set_step(id, steps::INITIALIZE, StepState::Running, &reason);
        self.event(
            id,
            EventKind::StepStarted,
            steps::INITIALIZE,
            format!("started: {reason}"),
        );

        let asked = waiting_for(&association, PendingKind::OperatorConfirmation).is_some();
        if asked {
            // Resumed after a restart: the operator was asked already; wait for the answer.
            self.records
                .update(id, |a| a.set_state(AssociationState::Waiting));
        } else {
            let window_over = |p: &PendingAction| {
                parse_instant(&p.window_end).is_some_and(|end| end <= self.clock.now())
            };
            let plan = match waiting_for(&association, PendingKind::OffPeakWindow)
                .filter(|p| !window_over(p))
            {
                // Resumed while waiting for the window: keep waiting for the same one (a
                // window that passed while the coordinator was down is planned anew).
                Some(pending) => InitializationPlan {
                    window_start: pending.window_start.clone(),
                    window_end: pending.window_end.clone(),
                    windows: pending.windows.clone(),
                    instructions: pending.instructions.clone(),
                    console_url: pending.console_url.clone(),
                },
                None => {
                    let now = self.clock.now();
                    let plan = self
                        .plan_initialization(id, spec, consumer, cluster, workspace, &reason, now)
                        .await?;
                    let window =
                        parse_instant(&plan.window_start).zip(parse_instant(&plan.window_end));
                    match window
                        .filter(|&(start, end)| {
                            !spec.initialize_now
                                && start <= now
                                && end > now
                                && too_late(start, end, now)
                        })
                        .map(|(_, end)| end)
                    {
                        // Too little of the open window is left to initialize in: the next.
                        Some(end) => {
                            self.plan_initialization(
                                id, spec, consumer, cluster, workspace, &reason, end,
                            )
                            .await?
                        }
                        None => plan,
                    }
                }
            };
            // Waiting holds no place among the runs in flight.
            slot.release();
            let outside = self.wait_for_window(id, spec, group, &plan).await?;
            self.ask_operator(id, &plan, outside.as_deref());
        }
        slot.release();
        let answered = self.await_answer(id, spec, group, cluster).await;
        slot.take().await;
        answered
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_initialization(
        &self,
        id: &str,
        spec: &Spec,
        consumer: &ConsumerAgentClient<Channel>,
        cluster: &ClusterCheck,
        workspace: &WorkspaceCheck,
        reason: &str,
        after: OffsetDateTime,
    ) -> Result<InitializationPlan, Stop> {
        let request = PlanInitializationRequest {
            workspace_id: spec.workspace.to_string(),
            resource_group_id: spec.resource_group.clone().unwrap_or_default(),
            provider_account_uid: spec.provider.to_string(),
            cluster_id: cluster.cluster_id.clone(),
            compute_resource_name: spec.resource_name.clone(),
            environments: workspace.environments.clone(),
            after: rfc3339(after),
            reason: reason.to_string(),
        };
        super::inspect::patiently(self.step_deadline, || {
            let mut client = consumer.clone();
            let request = request.clone();
            async move { client.plan_initialization(request).await }
        })
        .await
        .map_err(|status| {
            let failure = step_failure(steps::INITIALIZE, &status);
            self.set_step(id, steps::INITIALIZE, StepState::Failed, &failure.message);
            self.event(
                id,
                EventKind::StepFailed,
                steps::INITIALIZE,
                failure.message.clone(),
            );
            Stop::Failed(failure)
        })
    }

    /// Waits until the off-peak window opens. Returns who or what made the initialization
    /// happen outside the windows instead (said as a warning), or `None` in the window.
    async fn wait_for_window(
        &self,
        id: &str,
        spec: &Spec,
        group: &str,
        plan: &InitializationPlan,
    ) -> Result<Option<String>, Stop> {
        let risk =
            format!("tasks running on resource group {group} may fail while it is initialized");
        let start = parse_instant(&plan.window_start);
        if start.is_some_and(|start| start <= self.clock.now()) {
            // The window is open: now is off-peak, whatever the request says.
            return Ok(None);
        }
        if spec.initialize_now {
            self.event(
                id,
                EventKind::Warning,
                steps::INITIALIZE,
                format!(
                    "initializing now, outside the off-peak windows, as the request asks: {risk}"
                ),
            );
            return Ok(Some("the request (initialize_now)".to_string()));
        }
        let Some(start) = start else {
            self.event(
                id,
                EventKind::Warning,
                steps::INITIALIZE,
                format!(
                    "the consumer agent configures no off-peak windows ([initialization] off_peak), \
                     so the initialization is asked for now: {risk}"
                ),
            );
            return Ok(Some("no off-peak windows configured".to_string()));
        };
        let now = self.clock.now();
        let wait = (start - now).try_into().unwrap_or_default();
        info!(window.start = %plan.window_start, "waiting for the off-peak window");
        // The record of the wait and its event are written together.
        self.records.change_and_emit(
            id,
            |a| {
                // A `confirm --now` that came while the coordinator resumed stays asked for.
                let skip = a
                    .pending
                    .as_ref()
                    .filter(|p| p.kind() == PendingKind::OffPeakWindow)
                    .map(|p| p.skip_window_by.clone())
                    .unwrap_or_default();
                a.set_state(AssociationState::Waiting);
                a.pending = Some(PendingAction {
                    kind: PendingKind::OffPeakWindow as i32,
                    step: steps::INITIALIZE.to_string(),
                    window_start: plan.window_start.clone(),
                    window_end: plan.window_end.clone(),
                    windows: plan.windows.clone(),
                    instructions: plan.instructions.clone(),
                    console_url: plan.console_url.clone(),
                    since: rfc3339(now),
                    skip_window_by: skip,
                    ..Default::default()
                });
            },
            NewEvent {
                kind: EventKind::Waiting,
                step: steps::INITIALIZE,
                message: format!(
                    "waiting for the consumer's off-peak window ({}): it opens at {} (in {}); \
                     `crossbind confirm {id} --now` starts now instead",
                    plan.windows,
                    plan.window_start,
                    human(wait)
                ),
            },
        );
        let mut changes = self.records.subscribe(id);
        loop {
            self.checkpoint(id)?;
            let association = self.records.get(id).unwrap_or_default();
            if let Some(by) = association
                .pending
                .as_ref()
                .map(|p| p.skip_window_by.clone())
                .filter(|by| !by.is_empty())
            {
                self.event(
                    id,
                    EventKind::Warning,
                    steps::INITIALIZE,
                    format!("{by} asked to initialize now, outside the off-peak windows: {risk}"),
                );
                return Ok(Some(by));
            }
            let left: Duration = (start - self.clock.now()).try_into().unwrap_or_default();
            if left.is_zero() {
                return Ok(None);
            }
            nap(&mut changes, left.min(LONGEST_NAP)).await;
        }
    }

    /// Emits the operator's instructions and records that the association waits for them.
    /// Records that the association waits for the operator and emits the instructions, in
    /// one write, so that a restart never finds a wait without its instructions.
    fn ask_operator(&self, id: &str, plan: &InitializationPlan, outside: Option<&str>) {
        let mut instructions = plan
            .instructions
            .replace("crossbind confirm", &format!("crossbind confirm {id}"));
        if outside.is_some() && !plan.window_start.is_empty() {
            // The consumer's text says when the window is; the operator is asked now instead.
            instructions = replace_when(
                &instructions,
                "When: now, outside the off-peak windows, as asked; tasks running on the \
                 resource group may fail meanwhile.",
            );
        }
        let now = self.clock.now();
        self.records.change_and_emit(
            id,
            |a| {
                a.set_state(AssociationState::Waiting);
                a.pending = Some(PendingAction {
                    kind: PendingKind::OperatorConfirmation as i32,
                    step: steps::INITIALIZE.to_string(),
                    window_start: plan.window_start.clone(),
                    window_end: plan.window_end.clone(),
                    windows: plan.windows.clone(),
                    instructions: instructions.clone(),
                    console_url: plan.console_url.clone(),
                    since: rfc3339(now),
                    // Who or what made it happen outside the windows, if anything.
                    skip_window_by: outside.unwrap_or_default().to_string(),
                    ..Default::default()
                });
            },
            NewEvent {
                kind: EventKind::ActionRequired,
                step: steps::INITIALIZE,
                message: instructions.clone(),
            },
        );
    }

    /// Waits for the operator's answer and records it.
    async fn await_answer(
        &self,
        id: &str,
        spec: &Spec,
        group: &str,
        cluster: &ClusterCheck,
    ) -> Result<(), Stop> {
        let mut changes = self.records.subscribe(id);
        let mut told_closed = false;
        let pending = loop {
            let association = self.records.get(id).unwrap_or_default();
            let Some(pending) = waiting_for(&association, PendingKind::OperatorConfirmation) else {
                self.checkpoint(id)?;
                nap(&mut changes, LONGEST_NAP).await;
                continue;
            };
            // An answer that came before a cancel is taken: the console step was done.
            if !pending.confirmed_by.is_empty() || !pending.failed.is_empty() {
                break pending.clone();
            }
            self.checkpoint(id)?;
            let closes = parse_instant(&pending.window_end);
            if let Some(end) = closes.filter(|end| !told_closed && *end <= self.clock.now()) {
                told_closed = true;
                self.event(
                    id,
                    EventKind::Warning,
                    steps::INITIALIZE,
                    format!(
                        "the off-peak window closed at {} without an answer; the association \
                         keeps waiting: initialize resource group {group} in a later off-peak \
                         window (now, tasks running on it may fail), then confirm",
                        rfc3339(end)
                    ),
                );
                // The instructions shown from now on say so too.
                let closed = format!(
                    "When: the off-peak window closed at {}; initialize in a later off-peak \
                     window (now, tasks running on the resource group may fail).",
                    rfc3339(end)
                );
                self.records.update(id, |a| {
                    if let Some(p) = a.pending.as_mut() {
                        p.instructions = replace_when(&p.instructions, &closed);
                    }
                });
            }
            let until_close = closes
                .filter(|_| !told_closed)
                .and_then(|end| Duration::try_from(end - self.clock.now()).ok())
                .unwrap_or(LONGEST_NAP);
            nap(&mut changes, until_close.min(LONGEST_NAP)).await;
        };
        if !pending.failed.is_empty() {
            let failure = Failure {
                step: steps::INITIALIZE.to_string(),
                code: code_name(Code::FailedPrecondition).to_string(),
                reasons: vec!["INITIALIZATION_FAILED".to_string()],
                message: format!(
                    "{} reported that initializing resource group {group} failed: {}; fix the \
                     cause, then `crossbind retry {id}` asks again",
                    pending.confirmed_by, pending.failed
                ),
            };
            self.records.change_and_emit(
                id,
                |a| {
                    a.pending = None;
                    a.set_state(AssociationState::Running);
                    record_step(a, StepState::Failed, &failure.message);
                },
                NewEvent {
                    kind: EventKind::StepFailed,
                    step: steps::INITIALIZE,
                    message: failure.message.clone(),
                },
            );
            return Err(failure.into());
        }
        let outside_window = !pending.skip_window_by.is_empty();
        let initialization = Initialization {
            resource_group_id: group.to_string(),
            confirmed_at: rfc3339(self.clock.now()),
            confirmed_by: pending.confirmed_by.clone(),
            config_fingerprint: cluster.config_fingerprint.clone(),
            release_version: cluster.release_version.clone(),
            outside_window,
        };
        let message = format!(
            "resource group {group} initialized for cluster {} (confirmed by {}{})",
            cluster.cluster_id,
            pending.confirmed_by,
            if outside_window {
                format!(", outside the off-peak windows: {}", pending.skip_window_by)
            } else {
                String::new()
            }
        );
        // At least once: a crash right after this line writes the entry again on resume.
        self.audit(
            id,
            spec.consumer.as_str(),
            "InitializeResourceGroup",
            &format!("{message}; a console step"),
        );
        // The answer, the initialization and the step's outcome in one write: a crash leaves
        // either the answered wait (resumed and recorded again) or all of it.
        self.records.change_and_emit(
            id,
            |a| {
                a.pending = None;
                a.set_state(AssociationState::Running);
                a.initialization = Some(initialization.clone());
                a.reinitialization_due = String::new();
                record_step(a, StepState::Succeeded, &message);
            },
            NewEvent {
                kind: EventKind::StepSucceeded,
                step: steps::INITIALIZE,
                message: message.clone(),
            },
        );
        Ok(())
    }

    /// An operator's answer to a waiting initialization: `failed` with a reason, `now` to stop
    /// waiting for the window, or neither for "done". `now` never stands for "done": once the
    /// operator has been asked, only a plain confirmation (or `failed`) answers.
    pub fn confirm(
        &self,
        id: &str,
        client: &str,
        now: bool,
        failed: Option<&str>,
    ) -> Result<Association, RequestError> {
        let association = self.get(id)?;
        let failed = match failed.map(str::trim) {
            Some("") => {
                return Err(RequestError::InvalidArgument(
                    "failed: say why the initialization failed (what the console reported)"
                        .to_string(),
                ));
            }
            Some(reason) if reason.chars().count() > 1000 => {
                return Err(RequestError::InvalidArgument(
                    "failed: at most 1000 characters".to_string(),
                ));
            }
            other => other,
        };
        if now && failed.is_some() {
            return Err(RequestError::InvalidArgument(
                "now, failed: give one of them, not both".to_string(),
            ));
        }
        if let Some(pending) = waiting_for(&association, PendingKind::OffPeakWindow) {
            if failed.is_some() {
                return Err(RequestError::FailedPrecondition(format!(
                    "association {id} has not asked for the initialization yet: it waits for the \
                     off-peak window that opens at {}",
                    pending.window_start
                )));
            }
            if !now {
                return Err(RequestError::FailedPrecondition(format!(
                    "association {id} waits for the consumer's off-peak window ({}) that opens at {}; \
                     the console steps are asked for then. To initialize now anyway (tasks running \
                     on the resource group may fail): crossbind confirm {id} --now",
                    pending.windows, pending.window_start
                )));
            }
            let updated = self.records.update(id, |a| {
                // Only while it still waits for the window (it may have opened meanwhile).
                if let Some(p) = a
                    .pending
                    .as_mut()
                    .filter(|p| p.kind() == PendingKind::OffPeakWindow)
                {
                    p.skip_window_by = client.to_string();
                }
            });
            self.event(
                id,
                EventKind::Info,
                steps::INITIALIZE,
                format!("{client} asked to stop waiting for the off-peak window"),
            );
            return Ok(updated.unwrap_or(association));
        }
        let Some(asked) = waiting_for(&association, PendingKind::OperatorConfirmation) else {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} is {} and does not wait for an initialization to be confirmed",
                state_word(association.state())
            )));
        };
        if !asked.confirmed_by.is_empty() {
            return Err(RequestError::FailedPrecondition(format!(
                "{} already answered for association {id}; it is recording that answer",
                asked.confirmed_by
            )));
        }
        if now {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} already asks for the initialization (no window to skip): do the \
                 console steps it lists (`crossbind status {id}`), then `crossbind confirm {id}`, \
                 or `crossbind confirm {id} --failed REASON`"
            )));
        }
        let updated = self.records.update(id, |a| {
            if let Some(p) = a.pending.as_mut().filter(|p| {
                p.kind() == PendingKind::OperatorConfirmation && p.confirmed_by.is_empty()
            }) {
                p.confirmed_by = client.to_string();
                p.failed = failed.unwrap_or_default().to_string();
            }
        });
        let message = match failed {
            None => format!("{client} confirmed the initialization"),
            Some(reason) => format!("{client} reported that the initialization failed: {reason}"),
        };
        self.event(id, EventKind::Info, steps::INITIALIZE, message);
        Ok(updated.unwrap_or(association))
    }
}

/// The instructions with their `When:` line (written by the consumer agent) replaced, or
/// `when` put first when there is none.
fn replace_when(instructions: &str, when: &str) -> String {
    match instructions.lines().position(|l| l.starts_with("When:")) {
        Some(at) => instructions
            .lines()
            .enumerate()
            .map(|(i, line)| if i == at { when } else { line })
            .collect::<Vec<_>>()
            .join("\n"),
        None => format!("{when}\n{instructions}"),
    }
}

/// Sets the `initialize` step's state and message inside a records change.
fn record_step(association: &mut Association, state: StepState, message: &str) {
    if let Some(step) = association
        .steps
        .iter_mut()
        .find(|s| s.name == steps::INITIALIZE)
    {
        step.set_state(state);
        step.message = message.to_string();
    }
}

/// Sleeps for `at_most`, or less when the association gets an event (a confirmation, a cancel).
async fn nap(changes: &mut Option<tokio::sync::watch::Receiver<u64>>, at_most: Duration) {
    let sleep = tokio::time::sleep(at_most);
    let Some(receiver) = changes.as_mut() else {
        return sleep.await;
    };
    tokio::select! {
        () = sleep => {}
        changed = receiver.changed() => {
            if changed.is_err() {
                // The records dropped the association's channel: fall back to plain naps.
                *changes = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(release: &str, fingerprint: &str) -> ClusterCheck {
        ClusterCheck {
            cluster_id: "C-1".into(),
            release_version: release.into(),
            config_fingerprint: fingerprint.into(),
            ..Default::default()
        }
    }

    #[test]
    fn initialization_is_due_until_confirmed_for_this_configuration() {
        let now = cluster("EMR-3.38.3", "f1");
        assert!(
            due_reason(None, "rg1", &now)
                .unwrap()
                .contains("first initialization")
        );
        let last = Initialization {
            resource_group_id: "rg1".into(),
            config_fingerprint: "f1".into(),
            release_version: "EMR-3.38.3".into(),
            confirmed_at: "2026-12-04T02:00:00Z".into(),
            ..Default::default()
        };
        assert_eq!(due_reason(Some(&last), "rg1", &now), None);
        let changed = due_reason(Some(&last), "rg1", &cluster("EMR-3.38.3", "f2")).unwrap();
        assert!(changed.contains("configuration changed"), "{changed}");
        let upgraded = due_reason(Some(&last), "rg1", &cluster("EMR-3.38.2", "f3")).unwrap();
        assert!(
            upgraded.contains("release changed from EMR-3.38.3 to EMR-3.38.2"),
            "{upgraded}"
        );
        let moved = due_reason(Some(&last), "rg2", &now).unwrap();
        assert!(moved.contains("from rg1 to rg2"), "{moved}");
    }

    #[test]
    fn the_last_minutes_of_a_long_window_are_skipped_but_a_short_window_is_used() {
        let at = |h: u8, m: u8, s: u8| {
            time::macros::datetime!(2026-12-04 00:00 UTC)
                .replace_time(time::Time::from_hms(h, m, s).unwrap())
        };
        // 01:00-05:00 at 04:50: ten minutes left of four hours.
        assert!(too_late(at(1, 0, 0), at(5, 0, 0), at(4, 50, 0)));
        assert!(!too_late(at(1, 0, 0), at(5, 0, 0), at(4, 40, 0)));
        // A 30-second window with 25 seconds left is used.
        assert!(!too_late(at(4, 59, 30), at(5, 0, 0), at(4, 59, 35)));
        assert!(too_late(at(4, 59, 30), at(5, 0, 0), at(4, 59, 55)));
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_secs(125)), "2m 5s");
        assert_eq!(human(Duration::from_secs(3 * 3600 + 120)), "3h 2m");
    }
}
