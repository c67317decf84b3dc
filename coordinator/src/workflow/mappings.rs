//! Account mappings: member accounts of the consumer mapped to cluster accounts, so that each
//! member's tasks run as its own cluster account instead of one default identity.
//!
//! A mapping belongs to the cluster, not to the workspace: DataWorks applies it in every
//! workspace that registered the cluster. So the association remembers which mappings it
//! *added* (a member that had no mapping before), and only those are removed when it is
//! dissociated or when a repeat no longer asks for them — and not even those while another
//! live association of the same cluster still asks for the member. A mapping that existed
//! before and that this association changed is left as it is on dissociation (its previous
//! cluster account's password is not known to crossbind); the step message says so.
//!
//! The added members are recorded from a dry run *before* the upsert, so a coordinator that
//! dies between the upsert and its record still removes them on dissociation.

use std::collections::BTreeSet;

use crossbind_proto::{
    AccountMapping, AppliedMapping, ApplyAccountMappingsRequest, ApplyAccountMappingsResponse,
    Association, AssociationState, ClusterCheck, Environment, EventKind, Failure,
    RemoveAccountMappingsRequest, RemoveAccountMappingsResponse, StepState,
    consumer_agent_client::ConsumerAgentClient,
};
use tonic::{Code, transport::Channel};

use super::{Engine, Spec, Stop, steps, support::code_name};
use crate::error::RequestError;

/// Validates the requested mappings: member UIDs are numbers, cluster accounts are account
/// names, and no member is listed twice.
pub(super) fn parse(mappings: &[AccountMapping]) -> Result<Vec<AccountMapping>, RequestError> {
    let mut seen = BTreeSet::new();
    mappings
        .iter()
        .enumerate()
        .map(|(i, mapping)| {
            let member = mapping.member_uid.trim();
            let account = mapping.cluster_account.trim();
            let invalid = |field: &str, why: String| {
                RequestError::InvalidArgument(format!("account_mappings[{i}].{field}: {why}"))
            };
            if member.is_empty() || member.len() > 32 || !member.chars().all(|c| c.is_ascii_digit())
            {
                return Err(invalid(
                    "member_uid",
                    format!("{member:?} must be the member's Alibaba Cloud UID (digits)"),
                ));
            }
            if !is_account_name(account) {
                return Err(invalid(
                    "cluster_account",
                    format!(
                        "{account:?} must be a cluster account name: 1 to 64 letters, digits, \
                         '_', '-' or '.', not starting with '-'"
                    ),
                ));
            }
            if !seen.insert(member.to_string()) {
                return Err(invalid(
                    "member_uid",
                    format!("{member} is listed twice; map each member to one cluster account"),
                ));
            }
            Ok(AccountMapping {
                member_uid: member.to_string(),
                cluster_account: account.to_string(),
            })
        })
        .collect()
}

fn is_account_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Refuses mappings the cloud's documented rules forbid for this cluster.
pub(super) fn allowed(mappings: &[AccountMapping], cluster: &ClusterCheck) -> Result<(), Failure> {
    if mappings.is_empty() || !(cluster.ldap && cluster.kerberos) {
        return Ok(());
    }
    Err(Failure {
        step: steps::PREFLIGHT_CLUSTER.to_string(),
        code: code_name(Code::FailedPrecondition).to_string(),
        reasons: vec!["MAPPINGS_NOT_ALLOWED".to_string()],
        message: format!(
            "cluster {} has both LDAP and Kerberos enabled, and DataWorks forbids account mappings \
             for such a cluster: remove the account mappings from the request",
            cluster.cluster_id
        ),
    })
}

/// The compute resource the mapping calls go through (any of the cluster's will do; PROD first).
fn resource_for_mappings(association: &Association) -> Option<String> {
    let mut resources: Vec<_> = association
        .resources
        .iter()
        .filter(|r| !r.compute_resource_id.is_empty())
        .collect();
    resources.sort_by_key(|r| r.environment() != Environment::Prod);
    resources.first().map(|r| r.compute_resource_id.clone())
}

/// The other associations of the same cluster between the same accounts that hold mappings:
/// they recorded them when they applied them, and are not being (or have not been) undone.
fn holders(engine: &Engine, id: &str, spec: &Spec) -> Vec<Association> {
    engine
        .records
        .list()
        .into_iter()
        .filter(|other| {
            other.id != id
                && !matches!(
                    other.state(),
                    AssociationState::Dissociating | AssociationState::Dissociated
                )
                && !other.mappings.is_empty()
                && other.request.as_ref().is_some_and(|r| {
                    r.provider_account_uid == spec.provider.as_str()
                        && r.consumer_account_uid == spec.consumer.as_str()
                        && r.cluster_id.eq_ignore_ascii_case(spec.cluster.as_str())
                })
        })
        .collect()
}

/// The mappings an association recorded.
fn recorded(association: &Association) -> impl Iterator<Item = &AccountMapping> {
    association
        .mappings
        .iter()
        .filter_map(|m| m.mapping.as_ref())
}

/// Members another association of the same cluster holds a mapping of.
fn held_elsewhere(engine: &Engine, id: &str, spec: &Spec) -> BTreeSet<String> {
    holders(engine, id, spec)
        .iter()
        .flat_map(|other| {
            recorded(other)
                .map(|m| m.member_uid.clone())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The per-cluster lock key: mapping changes of one cluster run one at a time.
fn cluster_key(spec: &Spec) -> String {
    format!(
        "{}/{}",
        spec.provider,
        spec.cluster.as_str().to_ascii_lowercase()
    )
}

/// The members this association added, as recorded.
fn added_members(association: &Association) -> BTreeSet<String> {
    association
        .mappings
        .iter()
        .filter(|m| m.added)
        .filter_map(|m| m.mapping.as_ref().map(|m| m.member_uid.clone()))
        .collect()
}

// === impl Engine ===

impl Engine {
    /// Passes the duty to remove the mappings of `members` (added by association `id`, kept
    /// because others ask for them) to every other live association of the cluster that asks
    /// for them, so that the last one to go removes them.
    fn hand_over(&self, id: &str, spec: &Spec, members: &[String]) {
        if members.is_empty() {
            return;
        }
        for other in holders(self, id, spec) {
            let asks: Vec<AccountMapping> = recorded(&other)
                .filter(|m| members.contains(&m.member_uid))
                .cloned()
                .collect();
            if asks.is_empty() {
                continue;
            }
            self.records.update(&other.id, |a| {
                for wanted in &asks {
                    match a.mappings.iter_mut().find(|m| {
                        m.mapping
                            .as_ref()
                            .is_some_and(|m| m.member_uid == wanted.member_uid)
                    }) {
                        Some(applied) => applied.added = true,
                        None => a.mappings.push(AppliedMapping {
                            mapping: Some(wanted.clone()),
                            added: true,
                        }),
                    }
                }
            });
            let uids: Vec<&str> = asks.iter().map(|m| m.member_uid.as_str()).collect();
            self.event(
                &other.id,
                EventKind::Info,
                steps::MAP_ACCOUNTS,
                format!(
                    "association {id} no longer needs the mappings of {}: this association \
                     removes them when it is dissociated",
                    uids.join(", ")
                ),
            );
        }
    }

    /// The `map.accounts` step: removes the mappings this association added that a repeat no
    /// longer asks for, then upserts the requested ones.
    pub(super) async fn map_accounts(
        &self,
        id: &str,
        spec: &Spec,
        consumer: &ConsumerAgentClient<Channel>,
        cluster: &ClusterCheck,
    ) -> Result<(), Stop> {
        let lock = self.mapping_lock(&cluster_key(spec));
        let _one_at_a_time = lock.lock().await;
        let association = self.records.get(id).unwrap_or_default();
        let wanted: BTreeSet<String> = spec.mappings.iter().map(|m| m.member_uid.clone()).collect();
        if let Some(failure) = self.conflict(id, spec) {
            self.set_step(id, steps::MAP_ACCOUNTS, StepState::Failed, &failure.message);
            self.event(
                id,
                EventKind::StepFailed,
                steps::MAP_ACCOUNTS,
                failure.message.clone(),
            );
            return Err(failure.into());
        }
        let elsewhere = held_elsewhere(self, id, spec);
        let (handed, stale): (Vec<String>, Vec<String>) = added_members(&association)
            .into_iter()
            .filter(|m| !wanted.contains(m))
            .partition(|m| elsewhere.contains(m));
        self.hand_over(id, spec, &handed);
        // Mappings it recorded but did not add, and no longer asks for: it stops holding them
        // (they stay in the cloud; whoever added them removes them).
        let dropped: Vec<String> = association
            .mappings
            .iter()
            .filter(|m| !m.added)
            .filter_map(|m| m.mapping.as_ref())
            .filter(|m| !wanted.contains(&m.member_uid))
            .map(|m| m.member_uid.clone())
            .collect();
        self.forget(id, &dropped);
        self.forget(id, &handed);
        if spec.mappings.is_empty() && stale.is_empty() {
            let mut message = "no account mappings asked for".to_string();
            if !handed.is_empty() {
                message.push_str(&format!(
                    "; the mappings of {} stay for the other association of the cluster that \
                     holds them",
                    handed.join(", ")
                ));
            }
            if !dropped.is_empty() {
                message.push_str(&format!(
                    "; the mappings of {} were there before this association and stay",
                    dropped.join(", ")
                ));
            }
            self.skip(id, steps::MAP_ACCOUNTS, &message);
            return Ok(());
        }
        let Some(resource) = resource_for_mappings(&association) else {
            let failure = Failure {
                step: steps::MAP_ACCOUNTS.to_string(),
                code: code_name(Code::FailedPrecondition).to_string(),
                reasons: vec!["NO_COMPUTE_RESOURCE".to_string()],
                message: "no compute resource of the cluster is recorded to apply the mappings \
                          through: apply the association again to register it"
                    .to_string(),
            };
            self.set_step(id, steps::MAP_ACCOUNTS, StepState::Failed, &failure.message);
            return Err(failure.into());
        };
        let removal = RemoveAccountMappingsRequest {
            workspace_id: spec.workspace.to_string(),
            compute_resource_id: resource.clone(),
            member_uids: stale.clone(),
            dry_run: false,
        };
        if spec.mappings.is_empty() {
            let removed = self
                .step(id, steps::MAP_ACCOUNTS, describe_removal, || {
                    let mut client = consumer.clone();
                    let request = removal.clone();
                    async move { client.remove_account_mappings(request).await }
                })
                .await?;
            self.record_removal(id, spec, &stale, &removed);
            return Ok(());
        }

        // One step, so that a run cut off half-way does all of it again: the removals a
        // repeat no longer asks for, then what this association is about to add (recorded
        // before the upsert), then the upsert.
        let request = ApplyAccountMappingsRequest {
            workspace_id: spec.workspace.to_string(),
            compute_resource_id: resource,
            cluster_id: cluster.cluster_id.clone(),
            mappings: spec.mappings.clone(),
            dry_run: true,
        };
        let applied = self
            .step(id, steps::MAP_ACCOUNTS, describe_mappings, || {
                let mut client = consumer.clone();
                let mut request = request.clone();
                let removal = removal.clone();
                let stale = stale.clone();
                async move {
                    if !stale.is_empty() {
                        let removed = client.remove_account_mappings(removal).await?;
                        self.record_removal(id, spec, &stale, &removed.into_inner());
                    }
                    let planned = client.apply_account_mappings(request.clone()).await?;
                    let planned = planned.into_inner();
                    self.records
                        .update(id, |a| mark_added(a, &spec.mappings, &planned.added));
                    request.dry_run = false;
                    client.apply_account_mappings(request).await
                }
            })
            .await?;
        let association = self
            .records
            .update(id, |a| {
                mark_added(a, &spec.mappings, &applied.added);
                a.hadoop_auth_type = applied.hadoop_auth_type.clone();
            })
            .unwrap_or_default();
        if !applied.added.is_empty() || !applied.changed.is_empty() {
            self.audit(
                id,
                spec.consumer.as_str(),
                "UpdateComputeResourceAuthUserMappings",
                &describe_mappings(&applied),
            );
        }
        let kept = applied
            .changed
            .iter()
            .filter(|m| !added_members(&association).contains(*m))
            .count();
        if kept > 0 {
            self.event(
                id,
                EventKind::Info,
                steps::MAP_ACCOUNTS,
                format!(
                    "{kept} mapping(s) existed before with another cluster account and were changed; \
                     dissociation leaves them as they are now"
                ),
            );
        }
        Ok(())
    }

    /// Refuses a mapping another association of the cluster holds with another cluster
    /// account: a mapping applies to every workspace of the cluster, so one would undo the other.
    pub(super) fn conflict(&self, id: &str, spec: &Spec) -> Option<Failure> {
        for other in holders(self, id, spec) {
            for theirs in recorded(&other) {
                if let Some(ours) = spec.mappings.iter().find(|m| {
                    m.member_uid == theirs.member_uid && m.cluster_account != theirs.cluster_account
                }) {
                    return Some(Failure {
                        step: steps::MAP_ACCOUNTS.to_string(),
                        code: code_name(Code::FailedPrecondition).to_string(),
                        reasons: vec!["MAPPING_CONFLICT".to_string()],
                        message: format!(
                            "association {} maps member {} to cluster account {}, and a mapping \
                             applies to every workspace of cluster {}: ask for {} too, or change \
                             or dissociate association {} first",
                            other.id,
                            ours.member_uid,
                            theirs.cluster_account,
                            spec.cluster,
                            theirs.cluster_account,
                            other.id
                        ),
                    });
                }
            }
        }
        None
    }

    /// Drops the records of `members` from association `id` (it no longer holds them).
    fn forget(&self, id: &str, members: &[String]) {
        if members.is_empty() {
            return;
        }
        self.records.update(id, |a| {
            a.mappings.retain(|m| {
                m.mapping
                    .as_ref()
                    .is_none_or(|m| !members.contains(&m.member_uid))
            })
        });
    }

    fn record_removal(
        &self,
        id: &str,
        spec: &Spec,
        asked: &[String],
        removed: &RemoveAccountMappingsResponse,
    ) {
        self.records.update(id, |a| {
            a.mappings.retain(|m| {
                m.mapping
                    .as_ref()
                    .is_none_or(|m| !asked.contains(&m.member_uid))
            });
        });
        if !removed.removed.is_empty() {
            self.audit(
                id,
                spec.consumer.as_str(),
                "UpdateComputeResourceAuthUserMappings",
                &describe_removal(removed),
            );
        }
    }

    /// The `unmap.accounts` step of a dissociation: removes the mappings this association
    /// added that no other live association of the cluster asks for.
    pub(super) async fn unmap_accounts(
        &self,
        id: &str,
        spec: &Spec,
        consumer: &ConsumerAgentClient<Channel>,
    ) -> Result<(), Stop> {
        let lock = self.mapping_lock(&cluster_key(spec));
        let _one_at_a_time = lock.lock().await;
        let association = self.records.get(id).unwrap_or_default();
        if super::step_done(&association, steps::UNMAP_ACCOUNTS) {
            return Ok(());
        }
        let elsewhere = held_elsewhere(self, id, spec);
        let (kept, ours): (Vec<String>, Vec<String>) = added_members(&association)
            .into_iter()
            .partition(|m| elsewhere.contains(m));
        self.hand_over(id, spec, &kept);
        self.forget(id, &kept);
        if ours.is_empty() {
            let message = if kept.is_empty() {
                "this association added no account mappings; nothing to remove".to_string()
            } else {
                format!(
                    "kept the mappings of {}: another association of the cluster asks for them \
                     and removes them when it is dissociated",
                    kept.join(", ")
                )
            };
            self.skip(id, steps::UNMAP_ACCOUNTS, &message);
            return Ok(());
        }
        let Some(resource) = resource_for_mappings(&association) else {
            let message = format!(
                "no compute resource of the cluster is left to remove the mappings of {} through: \
                 remove them in the DataWorks console (Management Center → Computing Resources)",
                ours.join(", ")
            );
            self.skip(id, steps::UNMAP_ACCOUNTS, &message);
            return Ok(());
        };
        let request = RemoveAccountMappingsRequest {
            workspace_id: spec.workspace.to_string(),
            compute_resource_id: resource,
            member_uids: ours.clone(),
            dry_run: false,
        };
        let removed = self
            .step(id, steps::UNMAP_ACCOUNTS, describe_removal, || {
                let mut client = consumer.clone();
                let request = request.clone();
                async move { client.remove_account_mappings(request).await }
            })
            .await?;
        self.record_removal(id, spec, &ours, &removed);
        Ok(())
    }
}

/// Records the requested mappings, marking `added` members (and keeping earlier marks).
fn mark_added(association: &mut Association, wanted: &[AccountMapping], added: &[String]) {
    let before = added_members(association);
    let extra: Vec<AppliedMapping> = association
        .mappings
        .iter()
        .filter(|m| {
            m.added
                && m.mapping
                    .as_ref()
                    .is_some_and(|m| !wanted.iter().any(|w| w.member_uid == m.member_uid))
        })
        .cloned()
        .collect();
    association.mappings = wanted
        .iter()
        .map(|m| AppliedMapping {
            mapping: Some(m.clone()),
            added: before.contains(&m.member_uid) || added.contains(&m.member_uid),
        })
        .chain(extra)
        .collect();
}

fn describe_mappings(applied: &ApplyAccountMappingsResponse) -> String {
    let auth = match applied.hadoop_auth_type.as_str() {
        "" => String::new(),
        kind => format!(" (cluster authentication: {kind})"),
    };
    format!(
        "account mappings: {} added, {} changed, {} already in place{auth}",
        applied.added.len(),
        applied.changed.len(),
        applied.unchanged.len()
    )
}

fn describe_removal(removed: &RemoveAccountMappingsResponse) -> String {
    if removed.removed.is_empty() {
        "the mappings to remove were already gone".to_string()
    } else {
        format!("removed the mappings of {}", removed.removed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(member: &str, account: &str) -> AccountMapping {
        AccountMapping {
            member_uid: member.into(),
            cluster_account: account.into(),
        }
    }

    #[test]
    fn bad_mappings_are_named() {
        let cases = [
            (
                vec![mapping("12ab", "etl")],
                "account_mappings[0].member_uid",
            ),
            (
                vec![mapping("203", "-etl")],
                "account_mappings[0].cluster_account",
            ),
            (
                vec![mapping("203", "")],
                "account_mappings[0].cluster_account",
            ),
            (
                vec![mapping("203", "etl"), mapping("203", "bi")],
                "account_mappings[1].member_uid",
            ),
        ];
        for (mappings, field) in cases {
            let err = parse(&mappings).unwrap_err();
            assert!(
                matches!(&err, RequestError::InvalidArgument(m) if m.starts_with(field)),
                "{field}: {err}"
            );
        }
        let ok = parse(&[mapping(" 203 ", "etl_user.1")]).unwrap();
        assert_eq!(ok, [mapping("203", "etl_user.1")]);
    }

    #[test]
    fn ldap_with_kerberos_refuses_mappings_only_when_some_are_asked() {
        let mut cluster = ClusterCheck {
            cluster_id: "C-1".into(),
            ldap: true,
            kerberos: true,
            ..Default::default()
        };
        let failure = allowed(&[mapping("203", "etl")], &cluster).unwrap_err();
        assert_eq!(failure.reasons, ["MAPPINGS_NOT_ALLOWED"]);
        assert!(failure.message.contains("LDAP and Kerberos"));
        assert!(allowed(&[], &cluster).is_ok());
        cluster.kerberos = false;
        assert!(allowed(&[mapping("203", "etl")], &cluster).is_ok());
    }

    #[test]
    fn added_marks_survive_a_repeat_and_stale_ones_are_kept_until_removed() {
        let mut association = Association::default();
        mark_added(
            &mut association,
            &[mapping("1", "a"), mapping("2", "b")],
            &["1".into()],
        );
        assert_eq!(
            added_members(&association),
            BTreeSet::from(["1".to_string()])
        );
        // A repeat finds member 1 already mapped (not "added" this time): the mark stays.
        mark_added(
            &mut association,
            &[mapping("1", "a"), mapping("2", "b")],
            &[],
        );
        assert_eq!(
            added_members(&association),
            BTreeSet::from(["1".to_string()])
        );
        // A repeat without member 1 keeps its mark until the removal is recorded.
        mark_added(&mut association, &[mapping("2", "b")], &[]);
        assert_eq!(
            added_members(&association),
            BTreeSet::from(["1".to_string()])
        );
        assert_eq!(association.mappings.len(), 2);
    }
}
