//! crossbind-cloudsim: an emulator of the Alibaba Cloud APIs crossbind calls (STS 2015-04-01,
//! RAM 2015-05-01, EMR 2021-03-20 and 2016-04-08, DataWorks 2024-05-18), served on one HTTP
//! endpoint for the quickstart and the tests. It is not a general cloud emulator: only the
//! actions and rules of the cross-account EMR registration procedure are modelled.
//!
//! # What it does
//!
//! - One endpoint `/`, any method, dispatching on `Action` + `Version` (V2: query or form
//!   parameters; V3: the `x-acs-action` / `x-acs-version` headers). Query and
//!   `application/x-www-form-urlencoded` body parameters are merged, decoded the form way
//!   (`+` is a space). Answers are JSON with a fresh upper-case `RequestId`.
//! - Signatures are verified exactly: V2 (HMAC-SHA1, `1.0`) and V3 (`ACS3-HMAC-SHA256`, body
//!   hash checked, `host` and the `x-acs-*` headers must be signed), in the cloud's order:
//!   missing common parameter → unknown AccessKey → timestamp format → timestamp tolerance →
//!   signature → nonce reuse. Errors carry `RequestId`, `HostId`, `Code`, `Message`,
//!   `Recommend`.
//! - State is per account (the caller's account is its AccessKey's account). Every successful
//!   write call (create, update, attach, detach, delete) is appended to a mutation log, even
//!   one that changes no value, so "a second run changes nothing" means "a second run makes no
//!   write call".
//! - The cross-account rule: `CreateComputeResource` for another account's cluster fails with
//!   403 `Forbidden.CrossAccountRole` unless that account's role exists, trusts
//!   `<caller-UID>@emr.dataworks.aliyuncs.com`, has `AliyunDataWorksAccessingEMRReadOnlyPolicy`
//!   attached and changed at least `role_propagation_seconds` ago; and with 400
//!   `InvalidParameter.ClusterNotSupported` unless the cluster exists there (account and
//!   region) and is a RUNNING HADOOP cluster on EMR-3.38.2/3.38.3 without DLF or Kerberos.
//! - Fault injection (`[settings.faults]`, all off by default; the binary's flags override
//!   it), decided after the signature is verified, so a faulted call has consumed its nonce,
//!   and before the action runs, so it changes no state:
//!   - `throttle_rate` (0 to 1): share of calls answered 400 `Throttling.User`, "Request was
//!     denied due to user flow control." (`--throttle-rate`);
//!   - `server_error_rate` (0 to 1): share answered 503 `ServiceUnavailable` or 500
//!     `InternalError`, even odds (`--server-error-rate`); throttling takes precedence when
//!     the two add up to more than 1;
//!   - `latency_ms`: wait before answering each call in scope, faulted or not
//!     (`--latency-ms`);
//!   - `seed` (default 0): seeds the RNG that draws one number per call in scope, so the same
//!     seed and call order give the same faults (`--fault-seed`);
//!   - `actions` (default: every emulated action): the action names faults apply to. Calls
//!     that fail authentication, and calls of actions the emulator does not serve, are never
//!     faulted or delayed.
//!
//!   A rate outside `0..=1` or an unknown action name is a world-file error naming the key.
//!   `role_propagation_seconds` (`--role-propagation-seconds`) is the delay before a role
//!   change is in effect. The start-up log line (info) prints all of these.
//! - Resource groups come from the world file (`[[accounts.resource_groups]]`: `id`, `name`,
//!   `type` default `CommonV2`, `status` default `Normal`, `vpc_id`, `vswitch_id`,
//!   `workspaces` bound at start). `ListResourceGroups` (GET; `ResourceGroupTypes` defaults
//!   to `CommonV2`), `AssociateProjectToResourceGroup`, `DissociateProjectFromResourceGroup`
//!   and `ListResourceGroupAssociateProjects` read, bind and unbind them; an unknown group is
//!   404 `ResourceGroup.NotFound`, unbinding a group that is not bound 404
//!   `ResourceGroup.NotAssociated` (both emulator-chosen).
//! - Data sources come from the world file (`[[accounts.data_sources]]`: `id`, `workspace`,
//!   `name`, `type` e.g. `hive`, `environment` `Dev`/`Prod`, `cluster_id` of any account; the
//!   default world has none). `ListDataSources` (GET) groups them by name and type like
//!   `ListComputeResources`. `TestDataSourceConnectivity` applies the emulator's own model
//!   (not the cloud's published behaviour): an unknown workspace, data source or group is 404
//!   (`DataSource.NotFound` emulator-chosen); a group not bound to the workspace or not
//!   `Normal` gives `ConfigError`; a missing or not `RUNNING` cluster, or a group in another
//!   VPC than the cluster, gives `Unreachable`; otherwise `Connectable`. It changes nothing.
//! - Account mappings (`GetComputeResourceAuthUserMappings`,
//!   `UpdateComputeResourceAuthUserMappings`) are stored per cluster (owner account and ID)
//!   and seen through every compute resource registered for it, in any workspace. They are
//!   refused with 400 `InvalidParameter.AuthUserMappingNotAllowed` (emulator-chosen) when the
//!   cluster has both `ldap = true` and `security_mode = "KERBEROS"`. `HadoopAuthType` is
//!   `ldap`, `kerberos` or `simple`.
//! - LDAP is visible to the provider: `ListApplicationConfigs` reports `HIVE` /
//!   `hive-site.xml` / `hive.server2.authentication` = `LDAP` for a cluster with `ldap = true`
//!   and `NONE` for the others.
//! - Two unsigned test endpoints change a cluster (any account, ID compared ignoring case)
//!   behind the API's back; neither is an API call nor in the mutation log, and both answer
//!   404 `{"Message"}` for an unknown cluster and 400 `{"Message"}` for a bad body:
//!   - `POST /_cloudsim/clusters/<id>/config` with JSON
//!     `{"file": "core-site.xml", "key": "...", "value": "..."}` sets one configuration item,
//!     as `ListApplicationConfigs` then reports it, and bumps the cluster's `ConfigVersion` in
//!     the state dump (answer `{"ClusterId", "ConfigVersion"}`); [`Sim::set_cluster_config`]
//!     does the same in Rust. It changes only what `ListApplicationConfigs` reports (not the
//!     world's `ldap` or `security_mode` that the DataWorks rules read).
//!   - `POST /_cloudsim/clusters/<id>/state` with JSON `{"State": "TERMINATED"}` (any EMR
//!     2021 `ClusterState`; another word is refused with 400 naming the valid ones) puts the
//!     cluster in that state, as `GetCluster`, `ListClusters` and `DescribeClusterV2` (legacy
//!     `Status`: `CREATING`, `RUNNING`, `RELEASED`...) then report it, and as registration and
//!     connectivity tests then see it (answer `{"ClusterId", "State", "PreviousState"}`);
//!     [`Sim::set_cluster_state`] does the same in Rust.
//! - `GET /_cloudsim/state` (unsigned, read-only) shows the state, with
//!   `"faults": {"throttled": N, "server_errors": N, "settings": {...}}` (the effective fault
//!   keys and `role_propagation_seconds`); [`Sim::snapshot`] returns the same value in Rust.
//! - Answers have the shapes of the official SDKs' response models: `tests/conformance` runs
//!   Alibaba Cloud's Python SDKs, unchanged, against the binary and checks every answer
//!   field by field (names and types) with both signature versions.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use crossbind_aliyun::clock::SystemClock;
//! use crossbind_cloudsim::{Sim, World, serve};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let sim = Sim::new(World::default_world(), Arc::new(SystemClock));
//! serve(listener, sim).await
//! # }
//! ```
//!
//! # Limitations
//!
//! - Only JSON answers: `Format=XML` is accepted but answered in JSON.
//! - No STS credentials: `AssumeRole` is not emulated and any `SecurityToken` /
//!   `x-acs-security-token` is refused with `InvalidSecurityToken.MismatchWithAccessKey`.
//!   Keys are root-account keys; RAM users and permission checks (`NoPermission`) are absent.
//! - Only the V3 algorithm `ACS3-HMAC-SHA256`; `ACS3-HMAC-SM3` and `ACS3-RSA-SHA256` are
//!   refused with `IncompleteSignature`.
//! - Faults are drawn per call, not from per-API quotas: there is no rate limiter that
//!   throttles only above a request rate, and throttled answers carry no `x-acs-retry-after`
//!   header. The fault RNG is `rand`'s `StdRng`, so a seed reproduces a run with the same
//!   build, not necessarily across `rand` upgrades.
//! - RAM propagation is modelled as one condition of the cross-account rule (the role's last
//!   change must be old enough); other RAM reads are immediately consistent.
//! - Custom RAM policies do not exist; only a handful of system policies are known.
//! - The cloud's code for "EMR cluster not found" is unpublished; the emulator answers 404
//!   with `crossbind_aliyun::emr::codes::CLUSTER_NOT_FOUND`. The 2016-04-08 `Status` and
//!   `MetaStoreType` words are unconfirmed guesses (`RUNNING`..., `LOCAL`/`RDS`/`DLF`).
//! - DataWorks `ListProjects` filters by `Ids`, `Names`, `Status` and
//!   `DevEnvironmentEnabled` only; the resource-group, tag and role filters are ignored.
//! - RAM ignores `Tag` on `CreateRole` (the current SDK sends it JSON-style) and reports no
//!   tags in `ListRoles`.
//! - DataWorks: only `Type=emr` compute resources; the EMR `ConnectionProperties` schema and
//!   the `QualifiedName` form are unpublished, so the emulator checks only the keys crossbind
//!   sends (`envType`, `clusterId`, `regionId`, and for another account's cluster
//!   `crossAccountOwnerId`, `crossAccountRoleName`, `authType=RamRole`). `RegionId` is
//!   ignored for DataWorks (the region is the endpoint's).
//! - EMR clusters and nodes come from the world file; their state and application configs
//!   change only through the test endpoints; `ListApplicationConfigs` ignores `NodeGroupId` /
//!   `NodeId`.
//! - Resource groups cannot be created, changed or deleted; `ListResourceGroups` ignores
//!   `PaymentType`, tags and `SortBy`, and `AssociateProjectToResourceGroup` binds a group in
//!   any status.
//! - Data sources cannot be created, changed or deleted (no `CreateDataSource`,
//!   `GetDataSource`...); their connection properties hold only `envType`, `regionId`,
//!   `clusterId` and `crossAccountOwnerId`; `ListDataSources` ignores `Tags`. The
//!   connectivity test never answers `Unsupport` and ignores vSwitches, security groups,
//!   regions and the cross-account role.
//! - Mapping passwords are kept only to show `HasPassword`; LDAP accounts are not checked.
//! - State lives in memory only and is lost when the process ends.

mod api;
mod auth;
mod error;
mod faults;
mod policies;
mod reply;
mod request;
mod server;
mod sim;
mod world;

pub use error::{Error, Result};
pub use server::{CLUSTERS_PATH, STATE_PATH, router, serve};
pub use sim::Sim;
pub use world::{
    AccessKey, Account, Cluster, ClusterState, ClusterType, DEFAULT_MAX_SESSION_DURATION,
    DEFAULT_NONCE_TTL_SECONDS, DEFAULT_ROLE_PROPAGATION_SECONDS,
    DEFAULT_TIMESTAMP_TOLERANCE_SECONDS, DEFAULT_WORLD_TOML, DataSource, DeployMode, Environment,
    Faults, Metastore, PolicyRef, PolicyType, ResourceGroup, ResourceGroupStatus,
    ResourceGroupType, Role, SecurityMode, Settings, Workspace, WorkspaceMode, World,
};
