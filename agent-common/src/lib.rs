//! What the provider and consumer agents share: configuration reading, start-up identity check,
//! gRPC serving with mutual TLS, the one mapping of cloud errors to gRPC statuses, logging.
//!
//! It holds no agent logic: which keys an agent reads beyond the shared ones, and what its
//! services do, live in `crossbind-provider` and `crossbind-consumer`.
//!
//! # Shared configuration keys
//!
//! ```toml
//! listen = "127.0.0.1:7001"        # default 127.0.0.1:0; --listen overrides it
//! trust_domain = "crossbind.local" # default crossbind.local
//!
//! [tls]                            # required; relative paths are relative to the file
//! cert = "provider-1688000000000002.pem"
//! key = "provider-1688000000000002.key"
//! ca = "ca.pem"
//!
//! [cloud]
//! region = "cn-hangzhou"           # required
//! endpoint = "http://127.0.0.1:40123" # optional: every product at this URL (cloudsim)
//! signature = "v2"                 # "v2" (default) or "v3"
//! timeout_seconds = 10
//! retry_max_attempts = 4
//! retry_base_delay_ms = 200
//! retry_max_delay_ms = 5000
//!
//! [cloud.rate_limits]              # optional: client-side pacing, default the published quotas
//! enabled = true                   # false: never wait
//! dataworks_edition = "standard"   # basic | standard (default) | professional | enterprise
//! per_second = { "Ram.AttachPolicyToRole" = 5, "Emr.*" = 2, "DataWorks" = 4 }
//! ```
//!
//! The `per_second` keys and the defaults are described in [`config`]'s "Rate limits".
//!
//! Every bad, missing or unknown key is reported at once ([`ConfigError::Invalid`]); the
//! binaries then exit with [`cli::EXIT_CONFIG`] (64). Credentials are never read from the
//! file: [`startup::process_credentials`] uses the standard Alibaba Cloud chain.
//!
//! # Start-up
//!
//! [`startup::start_up`] loads the TLS material, checks that the certificate names an agent of
//! the right kind in the configured trust domain, asks STS who the credentials belong to, and
//! refuses to start when that account differs from the certificate's. The binaries bind
//! first ([`cli::bind`]), start up and build the server ([`GrpcServer::new`]), and only then
//! print the bound address ([`cli::announce`]): a first stdout line means the agent is
//! serving, and an agent that cannot start prints nothing there.
//!
//! # Limitations
//!
//! - Only the credential sources `crossbind_aliyun::credentials::default_chain` supports are
//!   usable (static AccessKeys and STS tokens from the environment or files).
//! - The cached identity is learned once at start-up; a credential rotated to another account
//!   while the agent runs is not noticed until it restarts.

pub mod cli;
pub mod config;
pub mod error;
pub mod grpc;
pub mod startup;
pub mod status;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use config::{AgentTls, CloudConfig, ConfigReader, Scope, Section};
pub use error::{ConfigError, ConfigProblem, Error, Result};
pub use grpc::{GrpcServer, coordinator_only, serve_grpc, shutdown_signal};
pub use startup::{AgentRole, StartedAgent, process_credentials, start_up};
pub use status::{cloud_error_to_status, quote_api_error};
pub use telemetry::{display_chain, init_tracing};
