//! Alibaba Cloud OpenAPI client for the four products crossbind drives: RAM, STS, EMR and
//! DataWorks. It signs RPC requests (V2 HMAC-SHA1 or V3 ACS3-HMAC-SHA256), loads credentials
//! from the standard chain, classifies and retries failures, paces calls under the published
//! quotas, and offers typed calls for the actions crossbind needs. Its only state is the rate
//! limiter's buckets, and it makes no decisions about trust.
//!
//! The emulator (`cloudsim`) reuses [`sign`] to verify signatures and [`trust_policy`] to
//! enforce trust rules, so both sides of the wire share one implementation.
//!
//! # Limitations
//!
//! - Only JSON answers are understood (`Format=JSON`); XML bodies are not parsed.
//! - Credentials: static AccessKey pairs and STS tokens only, from the environment, the CLI
//!   `config.json` (modes `AK`, `StsToken`) and the INI credentials file (`type = access_key`).
//!   ECS instance roles, OIDC/RRSA, RAM role ARN (`AssumeRole`), credentials URIs, CloudSSO and
//!   external processes are refused with a "not supported yet" error, and credentials are read
//!   once, never refreshed.
//! - Only RPC-style APIs (path `/`); ROA-style products are out of scope. The V3 algorithm is
//!   ACS3-HMAC-SHA256 only (no SM3 or RSA variants).
//! - Endpoints are the public hosts, or one override URL for every product; VPC endpoints and the
//!   SDKs' per-region host exceptions (e.g. `emr.aliyuncs.com`) are not applied automatically.
//! - Some wire facts are UNCONFIRMED in the real cloud and chosen with the emulator: EMR's
//!   "cluster not found" code ([`emr::codes`]) and every DataWorks error code
//!   ([`dataworks::codes`]).
//! - Business errors reported inside a 2xx body (`Success: false`, or a mapping change with
//!   `Status: fail`) are detected only for `DeleteComputeResource`, the resource-group
//!   bind/unbind calls and `UpdateComputeResourceAuthUserMappings`.
//! - `TestDataSourceConnectivity` is paced as a DataWorks write (its name has no read prefix),
//!   which is the stricter budget; its real quota class is unpublished.
//! - Client-side rate limits ([`rate_limit`]) pace one process only, share one budget across
//!   regions, and ignore DataWorks' daily caps.

// `Error::Api` carries the cloud's whole error body by value, as the crate's callers construct
// and match it; the extra bytes in `Result` are irrelevant next to an HTTP round trip.
#![allow(clippy::result_large_err)]

pub mod client;
pub mod clock;
pub mod credentials;
pub mod dataworks;
pub mod emr;
pub mod endpoint;
pub mod error;
pub mod ids;
pub mod ram;
pub mod rate_limit;
pub mod retry;
pub mod sign;
pub mod sts;
pub mod trust_policy;
mod wire;

pub use client::{Client, ClientConfig, Method, PreparedRequest, RpcRequest, SignatureVersion};
pub use credentials::{Credentials, Secret};
pub use endpoint::{Endpoints, Product};
pub use error::{ApiError, Error, ErrorKind, InvalidRateLimit, Result};
pub use ids::{AccountUid, ClusterId, InvalidId, RegionId, RoleName, WorkspaceId};
pub use rate_limit::{DataWorksEdition, LimitKey, Rate, RateLimiter, RateLimits};
pub use retry::RetryPolicy;
pub use trust_policy::TrustPolicy;
