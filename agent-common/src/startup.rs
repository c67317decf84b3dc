//! An agent's start-up: load its TLS identity, resolve its cloud credentials, ask STS who they
//! belong to, and refuse to go on when that account is not the one in the certificate. It
//! does not serve anything.

use std::fmt;

use crossbind_aliyun::client::Client;
use crossbind_aliyun::credentials::{Credentials, EnvSource, ProcessEnv, default_chain};
use crossbind_aliyun::sts::CallerIdentity;
use crossbind_tls::config::TlsMaterial;
use crossbind_tls::identity::{PeerRole, SpiffeId};
use tracing::Instrument;

use crate::config::{AgentTls, CloudConfig};
use crate::error::{Error, Result};

/// Which agent is starting; decides which certificate identity is acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentRole {
    /// `crossbind-provider`, identity `.../provider/<uid>`.
    Provider,
    /// `crossbind-consumer`, identity `.../consumer/<uid>`.
    Consumer,
}

/// A started agent: its cloud client, its confirmed identity and its TLS material.
#[derive(Clone)]
pub struct StartedAgent {
    /// The client for the agent's own account.
    pub client: Client,
    /// What STS reported for the agent's credentials; its account is the certificate's.
    pub identity: CallerIdentity,
    /// The agent's TLS material (for serving).
    pub tls: TlsMaterial,
    /// The identity in the agent's certificate.
    pub spiffe_id: SpiffeId,
}

/// Resolves credentials from the process environment with the standard chain
/// (environment variables, CLI profile, credentials file).
pub fn process_credentials() -> Result<Credentials> {
    credentials_from(&ProcessEnv)
}

/// Resolves credentials from `env` with the standard chain.
pub fn credentials_from(env: &dyn EnvSource) -> Result<Credentials> {
    default_chain(env).map_err(Error::Credentials)
}

/// Starts an agent of kind `role`: loads its TLS material, checks the certificate names a
/// `role` agent of the configured trust domain, calls STS GetCallerIdentity with
/// `credentials`, and refuses to start when the account differs from the certificate's.
pub async fn start_up(
    role: AgentRole,
    cloud: &CloudConfig,
    tls: &AgentTls,
    credentials: Credentials,
) -> Result<StartedAgent> {
    crossbind_tls::install_crypto_provider();
    let material = TlsMaterial::load(&tls.files).map_err(Error::Tls)?;
    let spiffe_id = material.own_identity().map_err(Error::Tls)?;
    if spiffe_id.trust_domain() != tls.trust_domain {
        return Err(Error::WrongTrustDomain {
            found: spiffe_id.trust_domain().to_owned(),
            configured: tls.trust_domain.clone(),
        });
    }
    let cert_uid = match (role, spiffe_id.role()) {
        (AgentRole::Provider, PeerRole::Provider(uid))
        | (AgentRole::Consumer, PeerRole::Consumer(uid)) => uid.clone(),
        _ => {
            return Err(Error::WrongCertificateRole {
                found: spiffe_id.uri(),
                expected: role.name(),
            });
        }
    };
    let client =
        Client::new(credentials, cloud.client_config()).map_err(|e| Error::Client(Box::new(e)))?;
    let span = tracing::info_span!("start_up", agent = role.name(), region = %cloud.region);
    let identity = client
        .get_caller_identity()
        .instrument(span)
        .await
        .map_err(|e| Error::Identity(Box::new(e)))?;
    if identity.account_id.as_str() != cert_uid {
        return Err(Error::AccountMismatch {
            cert_uid,
            sts_uid: identity.account_id.to_string(),
            cert_id: spiffe_id.uri(),
        });
    }
    tracing::info!(
        account.uid = %identity.account_id,
        identity.arn = %identity.arn,
        identity.kind = %identity.identity_type,
        peer.id = %spiffe_id,
        "identity confirmed: credentials and certificate name the same account"
    );
    Ok(StartedAgent {
        client,
        identity,
        tls: material,
        spiffe_id,
    })
}

// === impl AgentRole ===

impl AgentRole {
    /// `provider` or `consumer`.
    pub fn name(self) -> &'static str {
        match self {
            AgentRole::Provider => "provider",
            AgentRole::Consumer => "consumer",
        }
    }
}

// === impl StartedAgent ===

impl StartedAgent {
    /// The identity as the agents' `GetIdentity` answers it.
    pub fn identity_message(&self) -> crossbind_proto::Identity {
        crossbind_proto::Identity {
            account_uid: self.identity.account_id.to_string(),
            arn: self.identity.arn.clone(),
            identity_type: self.identity.identity_type.clone(),
            region: self.client.region().to_string(),
        }
    }
}

impl fmt::Debug for StartedAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartedAgent")
            .field("account", &self.identity.account_id)
            .field("arn", &self.identity.arn)
            .field("spiffe_id", &self.spiffe_id)
            .field("region", self.client.region())
            .finish_non_exhaustive()
    }
}
