//! Channels to the agents, one per account, dialled lazily over mutual TLS.
//!
//! The coordinator only talks to an agent whose certificate names the expected role and
//! account: the expected SPIFFE id is derived from the account the association names, and
//! the TLS client refuses any other peer at the handshake.

use std::{collections::BTreeMap, sync::Arc};

use crossbind_aliyun::ids::AccountUid;
use crossbind_proto::{
    consumer_agent_client::ConsumerAgentClient, provider_agent_client::ProviderAgentClient,
};
use crossbind_tls::{config::TlsMaterial, identity::SpiffeId};
use tokio::sync::Mutex;
use tonic::transport::Channel;

use crate::error::RequestError;

/// Lazily connected clients for every configured agent.
#[derive(Clone, Debug)]
pub struct Agents {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    trust_domain: String,
    tls: TlsMaterial,
    providers: BTreeMap<AccountUid, String>,
    consumers: BTreeMap<AccountUid, String>,
    channels: Mutex<BTreeMap<String, Channel>>,
}

// === impl Agents ===

impl Agents {
    /// Builds the pool; nothing is dialled until first use.
    pub fn new(
        trust_domain: String,
        tls: TlsMaterial,
        providers: BTreeMap<AccountUid, String>,
        consumers: BTreeMap<AccountUid, String>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                trust_domain,
                tls,
                providers,
                consumers,
                channels: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Fails unless an agent is configured for each account.
    pub fn check_configured(
        &self,
        provider: &AccountUid,
        consumer: &AccountUid,
    ) -> Result<(), RequestError> {
        if !self.inner.providers.contains_key(provider) {
            return Err(RequestError::FailedPrecondition(format!(
                "no provider agent is configured for account {provider}: add it under [[providers]] in the coordinator's configuration"
            )));
        }
        if !self.inner.consumers.contains_key(consumer) {
            return Err(RequestError::FailedPrecondition(format!(
                "no consumer agent is configured for account {consumer}: add it under [[consumers]] in the coordinator's configuration"
            )));
        }
        Ok(())
    }

    /// The provider agent of `account`.
    pub async fn provider(
        &self,
        account: &AccountUid,
    ) -> Result<ProviderAgentClient<Channel>, RequestError> {
        let endpoint = self.inner.providers.get(account).ok_or_else(|| {
            RequestError::FailedPrecondition(format!("no provider agent for account {account}"))
        })?;
        let expected = SpiffeId::provider(&self.inner.trust_domain, account.as_str())
            .map_err(|e| RequestError::InvalidArgument(e.to_string()))?;
        let channel = self.channel(endpoint, expected).await?;
        Ok(ProviderAgentClient::new(channel))
    }

    /// The consumer agent of `account`.
    pub async fn consumer(
        &self,
        account: &AccountUid,
    ) -> Result<ConsumerAgentClient<Channel>, RequestError> {
        let endpoint = self.inner.consumers.get(account).ok_or_else(|| {
            RequestError::FailedPrecondition(format!("no consumer agent for account {account}"))
        })?;
        let expected = SpiffeId::consumer(&self.inner.trust_domain, account.as_str())
            .map_err(|e| RequestError::InvalidArgument(e.to_string()))?;
        let channel = self.channel(endpoint, expected).await?;
        Ok(ConsumerAgentClient::new(channel))
    }

    async fn channel(&self, endpoint: &str, expected: SpiffeId) -> Result<Channel, RequestError> {
        let key = expected.uri();
        let mut channels = self.inner.channels.lock().await;
        if let Some(channel) = channels.get(&key) {
            return Ok(channel.clone());
        }
        let channel = crossbind_tls::client::connect_lazy(endpoint, &self.inner.tls, expected)
            .map_err(|e| {
                RequestError::FailedPrecondition(format!(
                    "agent endpoint {endpoint} is unusable: {}",
                    crate::error::chain(&e)
                ))
            })?;
        channels.insert(key, channel.clone());
        Ok(channel)
    }
}
