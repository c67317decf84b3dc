//! The consumer account's DataWorks resource groups: finding one by ID, checking that it can
//! run the cluster's tasks, and binding it to a workspace. Binding reads first and changes only
//! what differs. Consent and input checks are the caller's; this module trusts its arguments.

use crossbind_aliyun::client::Client;
use crossbind_aliyun::dataworks::{ListResourceGroups, ResourceGroup, codes};
use crossbind_aliyun::ids::{AccountUid, WorkspaceId};
use crossbind_proto::{BindResourceGroupResponse, ResourceGroupCheck};

use crate::error::{Error, Result, cloud};

/// The types that can run EMR tasks.
pub(crate) const ACCEPTED_TYPES: [&str; 2] = ["CommonV2", "ExclusiveScheduler"];

/// Every `ResourceGroupType` (facts §5.6). `ListResourceGroups` lists only general-purpose
/// groups unless asked for the others, so a lookup by ID asks for all of them.
const ALL_TYPES: [&str; 4] = [
    "CommonV2",
    "ExclusiveDataIntegration",
    "ExclusiveScheduler",
    "ExclusiveDataService",
];

/// The status of a usable group.
const NORMAL: &str = "Normal";

/// Groups asked for per page.
const PAGE_SIZE: u32 = 100;

/// A bound on the pages followed (10,000 groups).
const MAX_PAGES: u32 = 100;

/// Where a group is looked for: the agent's client and account.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Groups<'a> {
    pub(crate) client: &'a Client,
    pub(crate) account: &'a AccountUid,
}

// === impl Groups ===

impl Groups<'_> {
    /// The group with `id`, if the account has one, paging through `ListResourceGroups`.
    pub(crate) async fn find(&self, id: &str) -> Result<Option<ResourceGroup>> {
        for page in 1..=MAX_PAGES {
            let filter = ListResourceGroups {
                resource_group_types: ALL_TYPES.iter().map(|t| (*t).to_owned()).collect(),
                page_number: Some(page),
                page_size: Some(PAGE_SIZE),
                ..ListResourceGroups::default()
            };
            let groups = self
                .client
                .list_resource_groups(&filter)
                .await
                .map_err(cloud("ListResourceGroups"))?;
            let count = groups.len();
            if let Some(group) = groups.into_iter().find(|g| g.id == id) {
                return Ok(Some(group));
            }
            if count < PAGE_SIZE as usize {
                break;
            }
        }
        Ok(None)
    }

    /// The group as it is, with whether it is bound to `workspace`; `None` when it does not
    /// exist. Checks nothing about its usability.
    pub(crate) async fn observe(
        &self,
        workspace: &WorkspaceId,
        id: &str,
    ) -> Result<Option<ResourceGroupCheck>> {
        let (group, bound) = tokio::join!(self.find(id), self.is_bound(workspace, id));
        let Some(group) = group? else {
            return Ok(None);
        };
        Ok(Some(check_of(group, bound?)))
    }

    /// The group, which must exist, be `Normal` and of an accepted type.
    pub(crate) async fn check(
        &self,
        workspace: &WorkspaceId,
        id: &str,
    ) -> Result<ResourceGroupCheck> {
        let check = self
            .observe(workspace, id)
            .await?
            .ok_or_else(|| self.not_found(id))?;
        require_usable(&check)?;
        tracing::debug!(
            resource_group.type = %check.r#type,
            bound = check.bound,
            "resource group checked"
        );
        Ok(check)
    }

    /// Checks the group, then binds it to `workspace` unless it is bound already.
    pub(crate) async fn bind(
        &self,
        workspace: &WorkspaceId,
        id: &str,
        dry_run: bool,
    ) -> Result<BindResourceGroupResponse> {
        let mut check = self.check(workspace, id).await?;
        if check.bound || dry_run {
            return Ok(BindResourceGroupResponse {
                bound_now: !check.bound,
                resource_group: Some(check),
            });
        }
        let attempt = self
            .client
            .associate_project_to_resource_group(workspace, id)
            .await;
        match attempt {
            Ok(()) => {}
            Err(e) if e.is_code(codes::PROJECT_NOT_FOUND) => {
                return Err(Error::WorkspaceNotFound {
                    workspace: workspace.to_string(),
                    region: self.client.region().to_string(),
                    account: self.account.to_string(),
                });
            }
            // The answer was lost: the read-back below decides.
            Err(e) if e.may_have_been_applied() => {
                if !self.is_bound(workspace, id).await? {
                    return Err(cloud("AssociateProjectToResourceGroup")(e));
                }
            }
            Err(e) => return Err(cloud("AssociateProjectToResourceGroup")(e)),
        }
        if !self.is_bound(workspace, id).await? {
            return Err(Error::NotBound {
                group: id.to_owned(),
                workspace: workspace.to_string(),
            });
        }
        tracing::info!(
            workspace.id = %workspace,
            resource_group.id = id,
            "bound the resource group to the workspace"
        );
        check.bound = true;
        Ok(BindResourceGroupResponse {
            bound_now: true,
            resource_group: Some(check),
        })
    }

    /// The "does not exist" error for `id`.
    pub(crate) fn not_found(&self, id: &str) -> Error {
        Error::ResourceGroupNotFound {
            group: id.to_owned(),
            account: self.account.to_string(),
            region: self.client.region().to_string(),
        }
    }

    async fn is_bound(&self, workspace: &WorkspaceId, id: &str) -> Result<bool> {
        let projects = self.client.list_resource_group_associate_projects(id).await;
        match projects {
            Ok(projects) => Ok(projects.contains(&workspace.as_i64())),
            // A group that does not exist is bound nowhere; `find` reports it.
            Err(e) if e.is_code(codes::RESOURCE_GROUP_NOT_FOUND) => Ok(false),
            Err(e) => Err(cloud("ListResourceGroupAssociateProjects")(e)),
        }
    }
}

/// Refuses a group that is not `Normal` or of a type that cannot run EMR tasks.
pub(crate) fn require_usable(check: &ResourceGroupCheck) -> Result<()> {
    if !check.status.eq_ignore_ascii_case(NORMAL) {
        return Err(Error::ResourceGroupUnusable {
            group: check.resource_group_id.clone(),
            status: check.status.clone(),
            advice: advice(&check.status),
        });
    }
    if !ACCEPTED_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&check.r#type))
    {
        return Err(Error::ResourceGroupWrongType {
            group: check.resource_group_id.clone(),
            kind: check.r#type.clone(),
        });
    }
    Ok(())
}

/// What to do about a group in `status`.
fn advice(status: &str) -> &'static str {
    match status {
        "Stop" => {
            "it is stopped: start it again in the DataWorks console (Resource Groups), then retry"
        }
        "Creating" | "Starting" | "Updating" => {
            "it is changing state: wait until DataWorks shows it as Normal, then retry"
        }
        "Freezed" => {
            "it is frozen, usually for an overdue payment: settle the account's bills, wait \
             until it is Normal again, then retry"
        }
        "Deleted" | "Deleting" => "it is deleted or being deleted: name another resource group",
        _ => {
            "repair it in the DataWorks console (Resource Groups) or name another resource group, \
             then retry"
        }
    }
}

fn check_of(group: ResourceGroup, bound: bool) -> ResourceGroupCheck {
    ResourceGroupCheck {
        resource_group_id: group.id,
        name: group.name,
        r#type: group.resource_group_type,
        status: group.status,
        vpc_id: group.default_vpc_id.unwrap_or_default(),
        vswitch_id: group.default_vswitch_id.unwrap_or_default(),
        bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(kind: &str, status: &str) -> ResourceGroupCheck {
        ResourceGroupCheck {
            resource_group_id: "rg_1".to_owned(),
            r#type: kind.to_owned(),
            status: status.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn only_normal_groups_of_accepted_types_are_usable() {
        assert!(require_usable(&group("CommonV2", "Normal")).is_ok());
        assert!(require_usable(&group("ExclusiveScheduler", "Normal")).is_ok());
        assert!(matches!(
            require_usable(&group("ExclusiveDataIntegration", "Normal")),
            Err(Error::ResourceGroupWrongType { .. })
        ));
        for status in ["Stop", "Creating", "Freezed", "Deleted", "Timeout"] {
            match require_usable(&group("CommonV2", status)) {
                Err(Error::ResourceGroupUnusable { advice, .. }) => {
                    assert!(!advice.is_empty(), "{status}");
                }
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn each_status_gets_advice_of_its_own_kind() {
        assert!(advice("Stop").contains("start it again"));
        assert!(advice("Starting").contains("wait"));
        assert!(advice("Freezed").contains("overdue"));
        assert!(advice("Deleting").contains("another resource group"));
        assert!(advice("UpdateFailed").contains("repair"));
    }
}
