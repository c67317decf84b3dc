//! Registering a provider's cluster as an EMR compute resource of one workspace environment,
//! and removing it again. Both first read what exists and change only what differs, so a
//! repeat (or a resumed attempt after a crash) finds the earlier result instead of making a
//! second resource.
//!
//! Consent and input checks are the caller's; this module trusts its arguments.

use crossbind_aliyun::client::Client;
use crossbind_aliyun::dataworks::{ComputeResourceEntry, CreateComputeResource, codes};
use crossbind_aliyun::ids::{AccountUid, ClusterId, RoleName, WorkspaceId};
use crossbind_proto::{Environment, RegisterClusterResponse, UnregisterClusterResponse};

use crate::config::Registration;
use crate::connection_properties::Params;
use crate::error::{Error, Result, cloud};
use crate::propagation::{is_role_not_in_effect, retry_while_propagating};

/// One registration, validated.
#[derive(Clone, Debug)]
pub(crate) struct Registering {
    pub(crate) workspace: WorkspaceId,
    pub(crate) environment: Environment,
    pub(crate) name: String,
    pub(crate) provider: AccountUid,
    pub(crate) role: RoleName,
    pub(crate) cluster: ClusterId,
    pub(crate) params: Params,
}

/// What the workspace already holds for a registration.
enum Existing {
    /// A resource whose properties match: the registration is already done.
    Match {
        id: i64,
        name: String,
        properties: serde_json::Value,
    },
    /// The name is taken in this environment by a resource that does not match.
    Conflict { id: i64 },
    /// Nothing related.
    None,
}

/// Registers `r`, or finds it already registered. With `dry_run`, reports what would happen.
pub(crate) async fn register(
    client: &Client,
    config: &Registration,
    r: &Registering,
    dry_run: bool,
) -> Result<RegisterClusterResponse> {
    let properties = config.template.render(&r.params);
    match find_existing(client, config, r).await? {
        Existing::Match {
            id,
            name,
            properties,
        } => {
            tracing::debug!(
                resource.id = id,
                "cluster already registered; nothing to do"
            );
            return Ok(response(r, id.to_string(), name, false, 0, &properties));
        }
        Existing::Conflict { id } => return Err(name_taken(r, id)),
        Existing::None => {}
    }
    if dry_run {
        return Ok(response(
            r,
            String::new(),
            r.name.clone(),
            true,
            0,
            &properties,
        ));
    }
    let request = CreateComputeResource {
        project_id: r.workspace.clone(),
        name: r.name.clone(),
        r#type: config.compute_resource_type.clone(),
        connection_properties_mode: config.connection_properties_mode.clone(),
        connection_properties: properties.to_string(),
        description: Some(format!(
            "EMR cluster {} of account {} through role {}; registered by crossbind",
            r.cluster, r.provider, r.role
        )),
    };
    let attempts = retry_while_propagating(config.propagation, || {
        client.create_compute_resource(&request)
    })
    .await;
    let retries = attempts.retries;
    match attempts.result {
        Ok(id) => {
            tracing::info!(
                workspace.id = %r.workspace,
                resource.id = id,
                resource.name = %r.name,
                env = r.environment.dataworks_name(),
                cluster.id = %r.cluster,
                propagation_retries = retries,
                "registered the cluster as a compute resource"
            );
            Ok(response(
                r,
                id.to_string(),
                r.name.clone(),
                true,
                retries,
                &properties,
            ))
        }
        Err(e) if is_role_not_in_effect(&e) => Err(Error::role_not_in_effect(
            r.role.as_str(),
            r.provider.as_str(),
            retries,
            attempts.waited,
            e,
        )),
        Err(e) if e.is_code(codes::CLUSTER_NOT_SUPPORTED) => Err(Error::ClusterNotSupported {
            cluster: r.cluster.to_string(),
            source: Box::new(e),
        }),
        Err(e)
            if e.is_code(codes::COMPUTE_RESOURCE_ALREADY_EXISTS) || e.may_have_been_applied() =>
        {
            // The create may have happened (a lost answer) or raced another: read it back.
            let applied = !e.is_code(codes::COMPUTE_RESOURCE_ALREADY_EXISTS);
            match find_existing(client, config, r).await? {
                Existing::Match {
                    id,
                    name,
                    properties,
                } => Ok(response(
                    r,
                    id.to_string(),
                    name,
                    applied,
                    retries,
                    &properties,
                )),
                Existing::Conflict { id } => Err(name_taken(r, id)),
                Existing::None if applied => Err(cloud("CreateComputeResource")(e)),
                Existing::None => Err(Error::ExistsButUnseen {
                    name: r.name.clone(),
                    workspace: r.workspace.to_string(),
                }),
            }
        }
        Err(e) => Err(cloud("CreateComputeResource")(e)),
    }
}

/// Deletes compute resource `id` of `workspace`; `environment`, when given, must be the
/// resource's. A resource already gone is success with `deleted = false`.
pub(crate) async fn unregister(
    client: &Client,
    config: &Registration,
    workspace: &WorkspaceId,
    environment: Option<Environment>,
    id: i64,
    dry_run: bool,
) -> Result<UnregisterClusterResponse> {
    let Some(existing) = client
        .get_compute_resource(workspace, id)
        .await
        .map_err(cloud("GetComputeResource"))?
    else {
        tracing::debug!(resource.id = id, "compute resource already gone");
        return Ok(UnregisterClusterResponse { deleted: false });
    };
    if let Some(asked) = environment
        && let Some(found) = config.template.env_of(&existing.connection_properties)
        && !found.eq_ignore_ascii_case(asked.dataworks_name())
    {
        return Err(Error::WrongEnvironment {
            id,
            workspace: workspace.to_string(),
            found,
            asked: asked.dataworks_name().to_owned(),
        });
    }
    if dry_run {
        return Ok(UnregisterClusterResponse { deleted: true });
    }
    match client.delete_compute_resource(workspace, id).await {
        Ok(()) => {}
        Err(e) if e.is_code(codes::COMPUTE_RESOURCE_NOT_FOUND) => {
            return Ok(UnregisterClusterResponse { deleted: false });
        }
        Err(e) => return Err(cloud("DeleteComputeResource")(e)),
    }
    if client
        .get_compute_resource(workspace, id)
        .await
        .map_err(cloud("GetComputeResource"))?
        .is_some()
    {
        return Err(Error::StillExists {
            id,
            workspace: workspace.to_string(),
        });
    }
    tracing::info!(
        workspace.id = %workspace,
        resource.id = id,
        resource.name = %existing.name,
        "deleted the compute resource"
    );
    Ok(UnregisterClusterResponse { deleted: true })
}

/// The id of the compute resource whose properties match `r`, if the workspace holds one.
pub(crate) async fn find_match(
    client: &Client,
    config: &Registration,
    r: &Registering,
) -> Result<Option<i64>> {
    Ok(match find_existing(client, config, r).await? {
        Existing::Match { id, .. } => Some(id),
        Existing::Conflict { .. } | Existing::None => None,
    })
}

/// Lists every compute resource of the workspace and looks for `r` among them.
async fn find_existing(
    client: &Client,
    config: &Registration,
    r: &Registering,
) -> Result<Existing> {
    let all = client
        .list_all_compute_resources(&r.workspace, None)
        .await
        .map_err(cloud("ListComputeResources"))?;
    let env = r.environment.dataworks_name();
    let mut conflict = None;
    for (name, kind, entry) in all {
        if kind.eq_ignore_ascii_case(&config.compute_resource_type) && matches(config, &entry, r) {
            return Ok(Existing::Match {
                id: entry.id,
                name,
                properties: entry.connection_properties,
            });
        }
        let entry_env = config
            .template
            .env_of(&entry.connection_properties)
            .or(entry.env_type);
        if name == r.name && entry_env.is_some_and(|e| e.eq_ignore_ascii_case(env)) {
            conflict = Some(entry.id);
        }
    }
    Ok(conflict.map_or(Existing::None, |id| Existing::Conflict { id }))
}

fn matches(config: &Registration, entry: &ComputeResourceEntry, r: &Registering) -> bool {
    config.template.matches(
        &entry.connection_properties,
        &r.params,
        entry.env_type.as_deref(),
    )
}

fn name_taken(r: &Registering, existing_id: i64) -> Error {
    Error::NameTaken {
        name: r.name.clone(),
        env: r.environment.dataworks_name().to_owned(),
        workspace: r.workspace.to_string(),
        existing_id,
    }
}

fn response(
    r: &Registering,
    id: String,
    name: String,
    created: bool,
    propagation_retries: u32,
    properties: &serde_json::Value,
) -> RegisterClusterResponse {
    RegisterClusterResponse {
        compute_resource_id: id,
        compute_resource_name: name,
        environment: r.environment as i32,
        created,
        propagation_retries,
        connection_properties: properties.to_string(),
    }
}
