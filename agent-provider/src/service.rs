//! The `ProviderAgent` gRPC service: validates each request, applies the owner's consent, and
//! hands the work to `inspect` (cluster checks), `trust` (role changes) and `diagnose`
//! (read-only trust diagnosis). Who may call is
//! decided before a request gets here (the coordinator-only interceptor).

use std::sync::Arc;

use crossbind_agent_common::StartedAgent;
use crossbind_aliyun::client::Client;
use crossbind_aliyun::emr::ListClusters;
use crossbind_aliyun::ids::{AccountUid, ClusterId, InvalidId, RoleName};
use crossbind_proto::provider_agent_server::ProviderAgent;
use crossbind_proto::{
    CheckClusterRequest, ClusterCheck, DiagnoseTrustRequest, GetIdentityRequest, GrantTrustRequest,
    GrantTrustResponse, Identity, ListEligibleClustersRequest, ListEligibleClustersResponse,
    RevokeTrustRequest, RevokeTrustResponse, TrustDiagnosis,
};
use futures::{StreamExt, TryStreamExt};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::config::{Consent, DEFAULT_ROLE_NAME};
use crate::error::{Error, Result, cloud};
use crate::trust::{self, TrustTarget};
use crate::{diagnose, inspect};

/// How many clusters `ListEligibleClusters` checks at the same time.
const CHECK_CONCURRENCY: usize = 4;

/// Clusters asked for per `ListClusters` page.
const LIST_PAGE_SIZE: u32 = 100;

/// The provider agent's service; cheap to clone.
#[derive(Clone)]
pub struct ProviderService {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    account: AccountUid,
    identity: Identity,
    consent: Consent,
}

// === impl ProviderService ===

impl ProviderService {
    /// A service acting with `agent`'s client, within `consent`.
    pub fn new(agent: &StartedAgent, consent: Consent) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: agent.client.clone(),
                account: agent.identity.account_id.clone(),
                identity: agent.identity_message(),
                consent,
            }),
        }
    }

    #[instrument(
        name = "provider",
        skip_all,
        fields(rpc = "CheckCluster", cluster.id = %req.cluster_id)
    )]
    async fn check(&self, req: CheckClusterRequest) -> Result<ClusterCheck> {
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        let consumer: AccountUid = required("consumer_account_uid", &req.consumer_account_uid)?;
        let role = role_or_default(&req.role_name)?;
        self.require_consumer(&consumer)?;
        self.require_role(&role)?;
        self.require_cluster(&cluster)?;
        inspect::check_cluster(&self.inner.client, &self.inner.account, &cluster).await
    }

    #[instrument(name = "provider", skip_all, fields(rpc = "ListEligibleClusters"))]
    async fn list(&self, req: ListEligibleClustersRequest) -> Result<ListEligibleClustersResponse> {
        let ids = self.list_cluster_ids().await?;
        let inner = &self.inner;
        let checks: Vec<ClusterCheck> = futures::stream::iter(ids)
            .map(|id| async move {
                match inspect::check_cluster(&inner.client, &inner.account, &id).await {
                    // Released between the listing and the check: not worth failing the list.
                    Err(Error::ClusterNotFound { .. }) => Ok(None),
                    other => other.map(Some),
                }
            })
            .buffered(CHECK_CONCURRENCY)
            .try_filter_map(|c| async move { Ok(c) })
            .try_collect()
            .await?;
        let clusters = checks
            .into_iter()
            .filter(|c| c.eligible || req.include_ineligible)
            .collect();
        Ok(ListEligibleClustersResponse { clusters })
    }

    /// Every cluster of the region that consent lets the agent expose.
    async fn list_cluster_ids(&self) -> Result<Vec<ClusterId>> {
        let mut ids = Vec::new();
        let mut filter = ListClusters {
            max_results: Some(LIST_PAGE_SIZE),
            ..ListClusters::default()
        };
        loop {
            let page = self
                .inner
                .client
                .list_clusters(&filter)
                .await
                .map_err(cloud("ListClusters"))?;
            for summary in page.clusters {
                match ClusterId::new(summary.cluster_id) {
                    Ok(id) if self.inner.consent.allows_cluster(&id) => ids.push(id),
                    Ok(id) => {
                        tracing::debug!(cluster.id = %id, "not listed: outside consent.clusters")
                    }
                    Err(e) => tracing::debug!(error = %e, "skipping a cluster with an unusable id"),
                }
            }
            match page.next_token {
                Some(token) if filter.next_token.as_ref() != Some(&token) => {
                    filter.next_token = Some(token);
                }
                _ => break,
            }
        }
        Ok(ids)
    }

    #[instrument(
        name = "provider",
        skip_all,
        fields(
            rpc = "GrantTrust",
            consumer.uid = %req.consumer_account_uid,
            role.name = %req.role_name,
            dry_run = req.dry_run,
        )
    )]
    async fn grant(&self, req: GrantTrustRequest) -> Result<GrantTrustResponse> {
        let consumer: AccountUid = required("consumer_account_uid", &req.consumer_account_uid)?;
        let role = role_or_default(&req.role_name)?;
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        self.require_consumer(&consumer)?;
        self.require_role(&role)?;
        self.require_cluster(&cluster)?;
        let target = self.target(consumer, role);
        let response = trust::grant(&self.inner.client, &target, req.dry_run).await?;
        tracing::debug!(
            changes = response.changes.len(),
            role.created = response.role_created,
            "grant done"
        );
        Ok(response)
    }

    #[instrument(
        name = "provider",
        skip_all,
        fields(
            rpc = "RevokeTrust",
            consumer.uid = %req.consumer_account_uid,
            role.name = %req.role_name,
            dry_run = req.dry_run,
        )
    )]
    async fn revoke(&self, req: RevokeTrustRequest) -> Result<RevokeTrustResponse> {
        let consumer: AccountUid = required("consumer_account_uid", &req.consumer_account_uid)?;
        let role = role_or_default(&req.role_name)?;
        // Revoking only narrows trust, so a consumer no longer in consent may still be removed;
        // the role must still be one the agent manages.
        self.require_role(&role)?;
        let target = self.target(consumer, role);
        trust::revoke(
            &self.inner.client,
            &target,
            req.role_created_by_crossbind,
            req.dry_run,
        )
        .await
    }

    #[instrument(
        name = "provider",
        skip_all,
        fields(
            rpc = "DiagnoseTrust",
            consumer.uid = %req.consumer_account_uid,
            role.name = %req.role_name,
            cluster.id = %req.cluster_id,
        )
    )]
    async fn diagnose(&self, req: DiagnoseTrustRequest) -> Result<TrustDiagnosis> {
        let consumer: AccountUid = required("consumer_account_uid", &req.consumer_account_uid)?;
        let role = role_or_default(&req.role_name)?;
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        self.require_consumer(&consumer)?;
        self.require_role(&role)?;
        self.require_cluster(&cluster)?;
        let target = self.target(consumer, role);
        diagnose::diagnose(&self.inner.client, &target, &cluster).await
    }

    fn target(&self, consumer: AccountUid, role: RoleName) -> TrustTarget {
        TrustTarget {
            consumer,
            role,
            account: self.inner.account.clone(),
        }
    }

    fn require_consumer(&self, consumer: &AccountUid) -> Result<()> {
        if self.inner.consent.allows_consumer(consumer) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "consumer account",
            value: consumer.to_string(),
            key: "consent.consumer_accounts",
        })
    }

    fn require_role(&self, role: &RoleName) -> Result<()> {
        if self.inner.consent.allows_role(role) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "role",
            value: role.to_string(),
            key: "consent.role_names",
        })
    }

    fn require_cluster(&self, cluster: &ClusterId) -> Result<()> {
        if self.inner.consent.allows_cluster(cluster) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "cluster",
            value: cluster.to_string(),
            key: "consent.clusters",
        })
    }
}

#[tonic::async_trait]
impl ProviderAgent for ProviderService {
    async fn get_identity(
        &self,
        _request: Request<GetIdentityRequest>,
    ) -> Result<Response<Identity>, Status> {
        Ok(Response::new(self.inner.identity.clone()))
    }

    async fn list_eligible_clusters(
        &self,
        request: Request<ListEligibleClustersRequest>,
    ) -> Result<Response<ListEligibleClustersResponse>, Status> {
        answer(self.list(request.into_inner()).await)
    }

    async fn check_cluster(
        &self,
        request: Request<CheckClusterRequest>,
    ) -> Result<Response<ClusterCheck>, Status> {
        answer(self.check(request.into_inner()).await)
    }

    async fn grant_trust(
        &self,
        request: Request<GrantTrustRequest>,
    ) -> Result<Response<GrantTrustResponse>, Status> {
        answer(self.grant(request.into_inner()).await)
    }

    async fn revoke_trust(
        &self,
        request: Request<RevokeTrustRequest>,
    ) -> Result<Response<RevokeTrustResponse>, Status> {
        answer(self.revoke(request.into_inner()).await)
    }

    async fn diagnose_trust(
        &self,
        request: Request<DiagnoseTrustRequest>,
    ) -> Result<Response<TrustDiagnosis>, Status> {
        answer(self.diagnose(request.into_inner()).await)
    }
}

impl std::fmt::Debug for ProviderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderService")
            .field("account", &self.inner.account)
            .field("consent", &self.inner.consent)
            .finish_non_exhaustive()
    }
}

/// Parses a required request field, naming it when it is empty or malformed.
fn required<T>(field: &'static str, value: &str) -> Result<T>
where
    T: std::str::FromStr<Err = InvalidId>,
{
    if value.is_empty() {
        return Err(Error::MissingArgument { field });
    }
    value
        .parse()
        .map_err(|source| Error::InvalidArgument { field, source })
}

/// The request's role, `EMRRole` when empty.
fn role_or_default(value: &str) -> Result<RoleName> {
    let value = if value.is_empty() {
        DEFAULT_ROLE_NAME
    } else {
        value
    };
    value.parse().map_err(|source| Error::InvalidArgument {
        field: "role_name",
        source,
    })
}

fn answer<T>(result: Result<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|e| {
        tracing::debug!(error = %crossbind_agent_common::display_chain(&e), "request failed");
        Status::from(e)
    })
}
