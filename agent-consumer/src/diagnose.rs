//! The read-only diagnosis of one association in the consumer account: the workspace, each
//! compute resource (by ID, else by what it connects to), the resource group and its binding,
//! and the connectivity from the group to the cluster's data sources where any exist. What
//! this account cannot read is listed as `unchecked` sentences. Nothing is changed; consent
//! and input checks are the caller's.

use crossbind_agent_common::cloud_error_to_status;
use crossbind_aliyun::client::Client;
use crossbind_aliyun::dataworks::{ComputeResourceEntry, DataSource, ListDataSources};
use crossbind_aliyun::ids::{AccountUid, ClusterId, RoleName, WorkspaceId};
use crossbind_proto::{
    ComputeResourceDiagnosis, ConnectivityTest, Environment, ResourceGroupCheck, WorkspaceDiagnosis,
};
use futures::future::join_all;

use crate::config::Registration;
use crate::connection_properties::{Params, Placeholder};
use crate::error::{Result, cloud};
use crate::resource_group::Groups;
use crate::service::workspace_check;

/// One diagnosis, validated.
#[derive(Clone, Debug)]
pub(crate) struct Diagnosing {
    pub(crate) workspace: WorkspaceId,
    pub(crate) provider: AccountUid,
    pub(crate) role: RoleName,
    pub(crate) cluster: ClusterId,
    pub(crate) group: Option<String>,
    pub(crate) resources: Vec<ResourceRef>,
}

/// A compute resource the association registered.
#[derive(Clone, Debug)]
pub(crate) struct ResourceRef {
    pub(crate) environment: Environment,
    pub(crate) id: Option<i64>,
    pub(crate) name: Option<String>,
}

/// Where the diagnosis reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    pub(crate) client: &'a Client,
    pub(crate) account: &'a AccountUid,
    pub(crate) registration: &'a Registration,
}

// === impl Reader ===

impl Reader<'_> {
    /// Diagnoses `d`: every independent read runs at once, then the connectivity tests.
    pub(crate) async fn diagnose(&self, d: &Diagnosing) -> Result<WorkspaceDiagnosis> {
        let groups = Groups {
            client: self.client,
            account: self.account,
        };
        let group = async {
            match &d.group {
                Some(id) => groups.observe(&d.workspace, id).await,
                None => Ok(None),
            }
        };
        let filter = ListDataSources::new(d.workspace.clone());
        let sources = self.client.list_all_data_sources(&filter);
        let (project, resources, group, sources) = tokio::join!(
            self.client.get_project(&d.workspace),
            self.resources(d),
            group,
            sources
        );
        let project = project.map_err(cloud("GetProject"))?;
        let group: Option<ResourceGroupCheck> = group?;
        let mut unchecked = Vec::new();
        match &d.group {
            Some(id) => unchecked.push(format!(
                "Whether resource group {id} has been initialized for cluster {} cannot be \
                 read: no public API reports it. The DataWorks console shows it (Management \
                 Center of workspace {} → Computing Resources → the cluster's compute \
                 resource).",
                d.cluster, d.workspace
            )),
            None => unchecked.push(format!(
                "The association names no resource group, so no group's binding, \
                 initialization for cluster {} or connectivity was checked.",
                d.cluster
            )),
        }
        let Some(project) = project else {
            // Nothing of a missing workspace can be read: its resources are not found.
            tracing::debug!("workspace not found");
            unchecked.push(format!(
                "Workspace {} does not exist, so its compute resources, data sources and \
                 connectivity could not be read.",
                d.workspace
            ));
            return Ok(WorkspaceDiagnosis {
                workspace: None,
                compute_resources: d.resources.iter().map(missing).collect(),
                resource_group_found: group.is_some(),
                resource_group: group,
                connectivity: Vec::new(),
                unchecked,
            });
        };
        let resources = resources?;
        let connectivity = match (&d.group, &group) {
            (None, _) => Vec::new(),
            (Some(id), None) => {
                unchecked.push(format!(
                    "Connectivity was not tested: resource group {id} does not exist in account \
                     {} (region {}).",
                    self.account,
                    self.client.region()
                ));
                Vec::new()
            }
            (Some(id), Some(_)) => match sources {
                Err(e) => {
                    unchecked.push(format!(
                        "Connectivity was not tested: the data sources of workspace {} could \
                         not be listed ({}).",
                        d.workspace,
                        cloud_error_to_status(&e).message()
                    ));
                    Vec::new()
                }
                Ok(sources) => {
                    let sources: Vec<DataSource> =
                        sources.into_iter().filter(|s| points_at(s, d)).collect();
                    if sources.is_empty() {
                        unchecked.push(self.no_data_source(d, id));
                    }
                    self.test_all(&d.workspace, id, &sources, &mut unchecked)
                        .await
                }
            },
        };
        Ok(WorkspaceDiagnosis {
            workspace: Some(workspace_check(&d.workspace, project)),
            compute_resources: resources,
            resource_group_found: group.is_some(),
            resource_group: group,
            connectivity,
            unchecked,
        })
    }

    fn no_data_source(&self, d: &Diagnosing, group: &str) -> String {
        format!(
            "No data source of workspace {} points at cluster {}, so connectivity from \
             resource group {group} cannot be tested through the API; the console's \
             connectivity diagnosis can (DataWorks console → region {} → Management Center of \
             workspace {} → Computing Resources → the cluster's compute resource → \
             connectivity diagnosis, with resource group {group}).",
            d.workspace,
            d.cluster,
            self.client.region(),
            d.workspace
        )
    }

    /// Each referenced compute resource: by ID when it has one, else found among all the
    /// workspace's resources by what it connects to (or, failing that, by name).
    async fn resources(&self, d: &Diagnosing) -> Result<Vec<ComputeResourceDiagnosis>> {
        let by_id = join_all(d.resources.iter().map(|r| async move {
            match r.id {
                Some(id) => self
                    .client
                    .get_compute_resource(&d.workspace, id)
                    .await
                    .map(|found| found.map(|c| (c.id, c.name, c.connection_properties))),
                None => Ok(None),
            }
        }));
        let listing = async {
            if d.resources.iter().all(|r| r.id.is_some()) {
                return Ok(Vec::new());
            }
            self.client
                .list_all_compute_resources(&d.workspace, None)
                .await
        };
        let (by_id, listing) = tokio::join!(by_id, listing);
        let listing = listing.map_err(cloud("ListComputeResources"))?;
        let mut out = Vec::with_capacity(d.resources.len());
        for (r, found) in d.resources.iter().zip(by_id) {
            let found = match r.id {
                Some(_) => found.map_err(cloud("GetComputeResource"))?,
                None => self
                    .find_listed(&listing, d, r)
                    .map(|(name, e)| (e.id, name.to_owned(), e.connection_properties.clone())),
            };
            out.push(match found {
                Some((id, name, properties)) => self.described(r, id, name, &properties),
                None => missing(r),
            });
        }
        Ok(out)
    }

    /// The listed resource of `r`'s environment that connects to the association's cluster
    /// (one named as `r` first), else one named as `r` in that environment.
    fn find_listed<'l>(
        &self,
        listing: &'l [(String, String, ComputeResourceEntry)],
        d: &Diagnosing,
        r: &ResourceRef,
    ) -> Option<(&'l str, &'l ComputeResourceEntry)> {
        let config = self.registration;
        let env = r.environment.dataworks_name();
        let params = Params {
            env_type: env.to_owned(),
            region_id: self.client.region().to_string(),
            cluster_id: d.cluster.to_string(),
            owner_id: d.provider.to_string(),
            role_name: d.role.to_string(),
        };
        let named = |name: &str| r.name.as_deref().is_none_or(|n| n == name);
        let matching = listing.iter().filter(|(_, kind, e)| {
            kind.eq_ignore_ascii_case(&config.compute_resource_type)
                && config
                    .template
                    .matches(&e.connection_properties, &params, e.env_type.as_deref())
        });
        let by_fields = matching
            .clone()
            .find(|(name, _, _)| named(name))
            .or_else(|| matching.clone().next());
        let by_name = || {
            let wanted = r.name.as_deref()?;
            listing.iter().find(|(name, _, e)| {
                name == wanted
                    && config
                        .template
                        .env_of(&e.connection_properties)
                        .or_else(|| e.env_type.clone())
                        .is_some_and(|found| found.eq_ignore_ascii_case(env))
            })
        };
        by_fields
            .or_else(by_name)
            .map(|(name, _, e)| (name.as_str(), e))
    }

    fn described(
        &self,
        r: &ResourceRef,
        id: i64,
        name: String,
        properties: &serde_json::Value,
    ) -> ComputeResourceDiagnosis {
        let template = &self.registration.template;
        let value = |p| template.value_of(properties, p).unwrap_or_default();
        ComputeResourceDiagnosis {
            environment: r.environment as i32,
            compute_resource_id: id.to_string(),
            compute_resource_name: name,
            found: true,
            provider_account_uid: value(Placeholder::CrossAccountOwnerId),
            role_name: value(Placeholder::CrossAccountRoleName),
            cluster_id: value(Placeholder::ClusterId),
        }
    }

    /// Tests every source from `group`, at once. A test the cloud refuses becomes an
    /// `unchecked` sentence rather than failing the diagnosis.
    async fn test_all(
        &self,
        workspace: &WorkspaceId,
        group: &str,
        sources: &[DataSource],
        unchecked: &mut Vec<String>,
    ) -> Vec<ConnectivityTest> {
        let results = join_all(sources.iter().map(|s| {
            self.client
                .test_data_source_connectivity(workspace, s.id, group)
        }))
        .await;
        let mut tests = Vec::with_capacity(sources.len());
        for (source, result) in sources.iter().zip(results) {
            match result {
                Ok(c) => tests.push(ConnectivityTest {
                    data_source_id: source.id.to_string(),
                    data_source_name: source.name.clone(),
                    environment: environment_of(source) as i32,
                    state: c.connect_state.as_str().to_owned(),
                    message: c.connect_message.unwrap_or_default(),
                }),
                Err(e) => unchecked.push(format!(
                    "TestDataSourceConnectivity of data source {} ({}) from resource group \
                     {group} failed: {}",
                    source.name,
                    source.id,
                    cloud_error_to_status(&e).message()
                )),
            }
        }
        tests
    }
}

/// Whether data source `s` points at the association's cluster in the provider's account.
fn points_at(s: &DataSource, d: &Diagnosing) -> bool {
    let cluster = s
        .cluster_id
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(d.cluster.as_str()));
    let owner = s
        .cross_account_owner_id
        .as_deref()
        .is_none_or(|o| o == d.provider.as_str());
    cluster && owner
}

fn environment_of(s: &DataSource) -> Environment {
    match s.env_type.as_deref() {
        Some(e) if e.eq_ignore_ascii_case("Dev") => Environment::Dev,
        Some(e) if e.eq_ignore_ascii_case("Prod") => Environment::Prod,
        _ => Environment::Unspecified,
    }
}

fn missing(r: &ResourceRef) -> ComputeResourceDiagnosis {
    ComputeResourceDiagnosis {
        environment: r.environment as i32,
        compute_resource_id: r.id.map(|id| id.to_string()).unwrap_or_default(),
        compute_resource_name: r.name.clone().unwrap_or_default(),
        found: false,
        ..Default::default()
    }
}
