//! The emulator's handle (`Sim`): shared state behind one lock, the per-request pipeline
//! (parse → authenticate → inject faults → dispatch → answer), the read-only snapshot and the
//! test hooks that change a cluster behind the API's back (its configuration, its state).
//! HTTP plumbing (and the wait for injected latency) is in `server`; the API rules are in
//! `api`; fault decisions are in `faults`.

pub(crate) mod state;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use crossbind_aliyun::clock::{Clock, format_timestamp};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tracing::{debug, info};

use crate::api::{self, Ctx};
use crate::auth;
use crate::reply::{ApiError, new_request_id, product_of, with_request_id};
use crate::request::ApiRequest;
use crate::world::{ClusterState, Settings, World};
use state::{ConfigItem, State, epoch_millis, ram_date};

/// A running emulator: cheap to clone, every clone sees the same state.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

/// The answer to one API request: status, JSON body and how long to hold it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    /// Injected latency: how long to wait before sending the answer.
    pub(crate) delay: Duration,
}

// === impl Sim ===

impl Sim {
    /// An emulator starting from `world`, reading time from `clock`.
    pub fn new(world: World, clock: Arc<dyn Clock>) -> Sim {
        let state = State::new(world, clock.now());
        Sim {
            inner: Arc::new(Inner {
                clock,
                state: Mutex::new(state),
            }),
        }
    }

    /// The clock the emulator reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The settings in force: the world's `[settings]`, faults included.
    pub fn settings(&self) -> Settings {
        self.lock().settings.clone()
    }

    /// Everything the inspection endpoint shows: accounts with roles, clusters (with their
    /// `ClusterState`, `ConfigVersion` and account mappings, passwords shown only as
    /// `HasPassword`), workspaces, compute resources, resource groups and data sources, the
    /// mutation log, request counts and injected faults. Holds no secrets.
    pub fn snapshot(&self) -> Value {
        snapshot(&self.lock())
    }

    /// Sets configuration item `key` of file `file` (e.g. `core-site.xml`) of cluster
    /// `cluster_id` (any account, ID compared ignoring case) to `value`, as
    /// `ListApplicationConfigs` then reports it, and bumps the cluster's `config_version`.
    /// Returns the new version, or `None` when no such cluster exists. This is the tests' way
    /// of changing a cluster; it is not an API call and is not in the mutation log.
    pub fn set_cluster_config(
        &self,
        cluster_id: &str,
        file: &str,
        key: &str,
        value: &str,
    ) -> Option<u64> {
        let mut state = self.lock();
        let account = state
            .accounts
            .values_mut()
            .find(|a| a.cluster_any_region(cluster_id).is_some())?;
        let changes = account.changes_mut(cluster_id);
        changes.config.retain(|c| !(c.file == file && c.key == key));
        changes.config.push(ConfigItem {
            application: api::application_of(file).to_owned(),
            file: file.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        });
        changes.config_version += 1;
        let version = changes.config_version;
        info!(
            cluster.id = cluster_id,
            file,
            key,
            config_version = version,
            "cluster configuration changed"
        );
        Some(version)
    }

    /// Puts cluster `cluster_id` (any account, ID compared ignoring case) into `new_state`, as
    /// `GetCluster`, `ListClusters` (and its `ClusterStates` filter) and `DescribeClusterV2`
    /// (legacy `Status`) then report it; registration and connectivity tests then see it too.
    /// Returns the state it was in, or `None` when no such cluster exists. Like
    /// [`Sim::set_cluster_config`], a test hook: not an API call, not in the mutation log.
    pub fn set_cluster_state(
        &self,
        cluster_id: &str,
        new_state: ClusterState,
    ) -> Option<ClusterState> {
        let mut state = self.lock();
        let cluster = state
            .accounts
            .values_mut()
            .find_map(|a| a.cluster_any_region_mut(cluster_id))?;
        let previous = std::mem::replace(&mut cluster.state, new_state);
        info!(
            cluster.id = cluster_id,
            cluster.state = %new_state,
            cluster.previous_state = %previous,
            "cluster state changed"
        );
        Some(previous)
    }

    /// Answers one request: authenticates it, injects faults, runs the action, counts the
    /// outcome. A faulted call has consumed its nonce but changes nothing else.
    pub(crate) fn handle(&self, req: &ApiRequest) -> Answer {
        let now = self.inner.clock.now();
        let request_id = new_request_id();
        let params = req.params();
        let (action, version) = auth::api_of(req, &params);
        let mut delay = Duration::ZERO;
        let mut state = self.lock();
        let outcome =
            auth::authenticate(&mut state, now, req, &params).and_then(|(api, caller)| {
                let verdict = state.faults.judge(&api.version, &api.action);
                delay = verdict.delay;
                if let Some(fault) = verdict.error {
                    return Err(fault);
                }
                let ctx = Ctx {
                    now,
                    caller: &caller,
                };
                api::dispatch(&mut state, &ctx, &api, &params)
            });
        let answer = match outcome {
            Ok(value) => {
                state.accepted += 1;
                Answer {
                    status: StatusCode::OK,
                    body: with_request_id(value, &request_id),
                    delay,
                }
            }
            Err(e) => {
                state.rejected += 1;
                let product = product_of(version.as_deref());
                Answer {
                    status: e.status,
                    body: e.body(&request_id, req.host(), product),
                    delay,
                }
            }
        };
        drop(state);
        let code = answer
            .body
            .get("Code")
            .and_then(|c| c.as_str())
            .unwrap_or("");
        debug!(
            request.id = %request_id,
            action = action.as_deref().unwrap_or(""),
            version = version.as_deref().unwrap_or(""),
            method = %req.method,
            status = answer.status.as_u16(),
            code,
            "api request"
        );
        answer
    }

    /// Answers a request that could not even be decoded.
    pub(crate) fn reject_undecodable(&self, e: &ApiError, host: &str) -> Answer {
        self.lock().rejected += 1;
        Answer {
            status: e.status,
            body: e.body(&new_request_id(), host, product_of(None)),
            delay: Duration::ZERO,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Handlers never panic while holding the lock with state half-changed; a poisoned
        // lock still guards consistent data.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Sim")
            .field("accounts", &state.accounts.len())
            .field("mutations", &state.mutations.len())
            .finish_non_exhaustive()
    }
}

fn snapshot(state: &State) -> Value {
    let mut accounts = serde_json::Map::new();
    for (uid, account) in &state.accounts {
        let roles: Vec<Value> = account
            .roles
            .iter()
            .map(|r| {
                json!({
                    "RoleName": r.name.as_str(),
                    "RoleId": r.id,
                    "Arn": r.arn(uid),
                    "Description": r.description,
                    "AssumeRolePolicyDocument": r.trust_policy,
                    "CreateDate": ram_date(r.created),
                    "UpdateDate": ram_date(r.updated),
                    "AttachedPolicies": r.policies.iter().map(|p| json!({
                        "PolicyType": p.policy_type.as_str(),
                        "PolicyName": p.name,
                        "AttachDate": ram_date(p.attached),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let clusters: Vec<Value> = account
            .clusters
            .iter()
            .map(|c| {
                let changes = account.changes(c.id.as_str());
                let mappings: Vec<Value> = changes
                    .map(|ch| {
                        ch.mappings
                            .iter()
                            .map(|(uid, m)| {
                                json!({
                                    "UserId": uid,
                                    "Username": m.username,
                                    "HasPassword": m.password.is_some(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                json!({
                    "ClusterId": c.id.as_str(),
                    "ClusterName": c.name,
                    "RegionId": c.region.as_str(),
                    "ClusterType": c.cluster_type.as_str(),
                    "ReleaseVersion": c.release,
                    "Metastore": c.metastore.as_str(),
                    "SecurityMode": c.security_mode.as_str(),
                    "Ldap": c.ldap,
                    "ClusterState": c.state.as_str(),
                    "DeployMode": c.deploy_mode.as_str(),
                    "VpcId": c.vpc_id,
                    "VSwitchId": c.vswitch_id,
                    "ZoneId": c.zone_id,
                    "ConfigVersion": changes.map_or(0, |ch| ch.config_version),
                    "AuthUserMappings": mappings,
                })
            })
            .collect();
        let workspaces: Vec<Value> = account
            .workspaces
            .iter()
            .map(|w| {
                json!({
                    "Id": w.info.id,
                    "Name": w.info.name,
                    "Mode": w.info.mode.as_str(),
                    "Status": w.info.status,
                    "RegionId": w.info.region.as_str(),
                    "ComputeResources": w.resources.iter().map(|r| json!({
                        "Id": r.id,
                        "Name": r.name,
                        "Type": r.resource_type,
                        "EnvType": r.env.as_str(),
                        "ConnectionPropertiesMode": r.mode,
                        "ConnectionProperties": r.properties,
                        "CreateTime": epoch_millis(r.created),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let resource_groups: Vec<Value> = account
            .resource_groups
            .iter()
            .map(|g| {
                json!({
                    "Id": g.info.id,
                    "Name": g.info.name,
                    "ResourceGroupType": g.info.resource_group_type.as_str(),
                    "Status": g.info.status.as_str(),
                    "DefaultVpcId": g.info.vpc_id,
                    "DefaultVswitchId": g.info.vswitch_id,
                    "Workspaces": g.workspaces,
                })
            })
            .collect();
        let data_sources: Vec<Value> = account
            .data_sources
            .iter()
            .map(|d| {
                json!({
                    "Id": d.id,
                    "ProjectId": d.workspace,
                    "Name": d.name,
                    "Type": d.source_type,
                    "EnvType": d.environment.as_str(),
                    "ClusterId": d.cluster_id.as_str(),
                })
            })
            .collect();
        accounts.insert(
            uid.to_string(),
            json!({
                "name": account.name,
                "roles": roles,
                "clusters": clusters,
                "workspaces": workspaces,
                "resource_groups": resource_groups,
                "data_sources": data_sources,
            }),
        );
    }
    let mutations: Vec<Value> = state
        .mutations
        .iter()
        .map(|m| {
            json!({
                "Sequence": m.sequence,
                "Account": m.account.as_str(),
                "Action": m.action,
                "Time": format_timestamp(m.time),
                "Target": m.target,
            })
        })
        .collect();
    json!({
        "accounts": accounts,
        "mutations": mutations,
        "requests": { "accepted": state.accepted, "rejected": state.rejected },
        "faults": faults_json(state),
    })
}

/// Injected-fault counts and the settings that produced them (`role_propagation_seconds`
/// included: it is the delay before a new role is in effect).
fn faults_json(state: &State) -> Value {
    let faults = state.faults.settings();
    json!({
        "throttled": state.faults.throttled,
        "server_errors": state.faults.server_errors,
        "settings": {
            "throttle_rate": faults.throttle_rate,
            "server_error_rate": faults.server_error_rate,
            "latency_ms": faults.latency_ms,
            "seed": faults.seed,
            "actions": faults.actions,
            "role_propagation_seconds": state.settings.role_propagation_seconds,
        },
    })
}

/// Seconds from `from` to `to`, rounded up, never negative.
pub(crate) fn seconds_until(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    let d = to - from;
    if d.is_negative() {
        0
    } else {
        d.whole_seconds() + i64::from(d.subsec_nanoseconds() > 0)
    }
}

#[cfg(test)]
mod tests;
