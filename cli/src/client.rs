//! Connecting to the coordinator as an automation client (`spiffe://<td>/client/<name>`).

use std::path::Path;

use crossbind_proto::coordinator_client::CoordinatorClient;
use crossbind_tls::identity::SpiffeId;
use tonic::transport::Channel;

use crate::{error::Result, stack::client_tls};

/// Dials the coordinator at `address` with the client certificate `client-<name>` of the PKI
/// in `pki_dir`, and refuses any peer that is not the coordinator of `trust_domain`.
pub async fn connect(
    address: &str,
    pki_dir: &Path,
    trust_domain: &str,
    name: &str,
) -> Result<CoordinatorClient<Channel>> {
    let tls = client_tls(pki_dir, trust_domain, name)?;
    let expected = SpiffeId::coordinator(trust_domain)?;
    let channel = crossbind_tls::client::connect(address, &tls, expected).await?;
    Ok(CoordinatorClient::new(channel))
}
