//! Gathering what the eligibility rules need about one cluster from EMR, and turning the
//! verdict into a `ClusterCheck`. Read-only: nothing here changes a cluster.
//!
//! Sources: EMR 2021 `GetCluster` (type, release, state, `SecurityMode`),
//! `ListApplicationConfigs` (`hive.metastore.type`) and, for Hadoop clusters, the legacy 2016
//! `DescribeClusterV2` (`MetaStoreType`, `EasEnable`). DLF counts when either source says DLF;
//! Kerberos when `SecurityMode` is `KERBEROS` or `EasEnable` is true.
//!
//! Every configuration item is read (all pages), not only the metastore key, so that the
//! check also carries a fingerprint of the release and the whole configuration: the
//! coordinator compares it with the one recorded at the last initialization to tell when the
//! consumer's resource group must be initialized again. The same items say whether LDAP is on
//! (`hive.server2.authentication` = `LDAP`).
//!
//! The network placement comes from whichever source reports each part: the VPC from
//! `GetCluster` `NodeAttributes.VpcId` (else `DescribeClusterV2` `VpcId`), the zone from
//! `NodeAttributes.ZoneId`, the vSwitch from `DescribeClusterV2` `VSwitchId` only (the 2021
//! API does not report it, so it is empty for clusters other than Hadoop).

use crossbind_aliyun::client::Client;
use crossbind_aliyun::emr::{ApplicationConfig, Cluster, LegacyClusterInfo};
use crossbind_aliyun::ids::{AccountUid, ClusterId};
use crossbind_proto::ClusterCheck;
use sha2::{Digest, Sha256};

use crate::eligibility::{
    self, ClusterFacts, DLF_METASTORE, KERBEROS_MODE, SUPPORTED_CLUSTER_TYPE,
};
use crate::error::{Error, Result, cloud};

/// The Hive setting that names the metastore.
pub(crate) const METASTORE_TYPE_KEY: &str = "hive.metastore.type";

/// The HiveServer2 setting that names its authentication (`LDAP` when LDAP is on).
pub(crate) const HIVE_AUTHENTICATION_KEY: &str = "hive.server2.authentication";

/// The [`HIVE_AUTHENTICATION_KEY`] value meaning LDAP.
pub(crate) const LDAP_AUTHENTICATION: &str = "LDAP";

/// Where a cluster sits on the network; an empty string when no source reports the part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Network {
    pub(crate) vpc_id: String,
    pub(crate) vswitch_id: String,
    pub(crate) zone_id: String,
}

/// Reads cluster `id` of the client's region and judges it. A cluster that does not exist is
/// [`Error::ClusterNotFound`], naming `account`.
pub(crate) async fn check_cluster(
    client: &Client,
    account: &AccountUid,
    id: &ClusterId,
) -> Result<ClusterCheck> {
    let cluster = client
        .get_cluster(id)
        .await
        .map_err(cloud("GetCluster"))?
        .ok_or_else(|| Error::ClusterNotFound {
            cluster: id.to_string(),
            region: client.region().to_string(),
            account: account.to_string(),
        })?;
    let hadoop = cluster
        .cluster_type
        .eq_ignore_ascii_case(SUPPORTED_CLUSTER_TYPE);
    let legacy = async {
        if hadoop {
            client
                .describe_cluster_v2(id)
                .await
                .map_err(cloud("DescribeClusterV2"))
        } else {
            Ok(None)
        }
    };
    let configs = async {
        client
            .list_application_configs(id, None, None, None)
            .await
            .map_err(cloud("ListApplicationConfigs"))
    };
    let (legacy, configs) = futures::future::try_join(legacy, configs).await?;
    let check = describe(
        &cluster,
        legacy.as_ref(),
        &configs,
        client.region().as_str(),
    );
    tracing::debug!(
        cluster.id = %check.cluster_id,
        eligible = check.eligible,
        reasons = ?check.reasons().collect::<Vec<_>>(),
        "cluster checked"
    );
    Ok(check)
}

/// The whole check of `cluster` from what the three calls reported: the rules' verdict, the
/// network, LDAP and the configuration fingerprint. `region` is the agent's, used when the
/// cluster does not name its own.
pub(crate) fn describe(
    cluster: &Cluster,
    legacy: Option<&LegacyClusterInfo>,
    configs: &[ApplicationConfig],
    region: &str,
) -> ClusterCheck {
    let facts = gather_facts(cluster, legacy, configs);
    let Network {
        vpc_id,
        vswitch_id,
        zone_id,
    } = network(cluster, legacy);
    ClusterCheck {
        vpc_id,
        vswitch_id,
        zone_id,
        ldap: ldap_enabled(configs),
        config_fingerprint: config_fingerprint(&cluster.release_version, configs),
        ..to_check(cluster, region, &facts)
    }
}

/// The network placement, each part from the first source that reports it (see the module
/// docs).
pub(crate) fn network(cluster: &Cluster, legacy: Option<&LegacyClusterInfo>) -> Network {
    let reported = |v: &str| {
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    let nodes = cluster.node_attributes.as_ref();
    let vpc_id = nodes
        .and_then(|n| reported(&n.vpc_id))
        .or_else(|| legacy.and_then(|l| reported(&l.vpc_id)))
        .unwrap_or_default();
    let zone_id = nodes.and_then(|n| reported(&n.zone_id)).unwrap_or_default();
    let vswitch_id = legacy
        .and_then(|l| reported(&l.vswitch_id))
        .unwrap_or_default();
    Network {
        vpc_id,
        vswitch_id,
        zone_id,
    }
}

/// Whether any configuration item sets [`HIVE_AUTHENTICATION_KEY`] to `LDAP` (key and value
/// compared ignoring ASCII case, the value trimmed), whichever file carries it.
pub(crate) fn ldap_enabled(configs: &[ApplicationConfig]) -> bool {
    configs.iter().any(|c| {
        c.config_item_key
            .trim()
            .eq_ignore_ascii_case(HIVE_AUTHENTICATION_KEY)
            && c.config_item_value
                .trim()
                .eq_ignore_ascii_case(LDAP_AUTHENTICATION)
    })
}

/// Combines what the three calls reported into the facts the rules judge.
pub(crate) fn gather_facts(
    cluster: &Cluster,
    legacy: Option<&LegacyClusterInfo>,
    configs: &[ApplicationConfig],
) -> ClusterFacts {
    let hive_values: Vec<&str> = configs
        .iter()
        .filter(|c| c.config_item_key.eq_ignore_ascii_case(METASTORE_TYPE_KEY))
        .map(|c| c.config_item_value.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let legacy_type = legacy
        .and_then(|l| l.meta_store_type.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let dlf = legacy_type.is_some_and(|t| t.eq_ignore_ascii_case(DLF_METASTORE))
        || hive_values
            .iter()
            .any(|v| v.eq_ignore_ascii_case(DLF_METASTORE));
    let metastore_type = if dlf {
        DLF_METASTORE.to_owned()
    } else {
        legacy_type
            .or_else(|| hive_values.first().copied())
            .unwrap_or_default()
            .to_owned()
    };
    let kerberos = cluster
        .security_mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case(KERBEROS_MODE))
        || legacy.and_then(|l| l.eas_enable).unwrap_or(false);
    ClusterFacts {
        cluster_type: cluster.cluster_type.clone(),
        release_version: cluster.release_version.clone(),
        state: cluster.cluster_state.clone(),
        metastore_type,
        dlf,
        kerberos,
    }
}

/// The hex SHA-256 over `release` and the configuration items sorted by application, file,
/// key and value; the order EMR lists them in does not matter. Every string is fed with its
/// length first, so no two different inputs share an encoding.
pub(crate) fn config_fingerprint(release: &str, configs: &[ApplicationConfig]) -> String {
    let mut items: Vec<[&str; 4]> = configs
        .iter()
        .map(|c| {
            [
                c.application_name.as_str(),
                c.config_file_name.as_str(),
                c.config_item_key.as_str(),
                c.config_item_value.as_str(),
            ]
        })
        .collect();
    items.sort_unstable();
    let mut hash = Sha256::new();
    let mut feed = |s: &str| {
        hash.update((s.len() as u64).to_be_bytes());
        hash.update(s.as_bytes());
    };
    feed(release);
    for item in &items {
        item.iter().for_each(|s| feed(s));
    }
    hex::encode(hash.finalize())
}

/// The check message for `cluster` with its facts judged by the rules; the network, LDAP and
/// fingerprint fields are left empty (see [`describe`]).
pub(crate) fn to_check(cluster: &Cluster, region: &str, facts: &ClusterFacts) -> ClusterCheck {
    let violations = eligibility::evaluate(facts);
    let region = if cluster.region_id.is_empty() {
        region.to_owned()
    } else {
        cluster.region_id.clone()
    };
    ClusterCheck {
        cluster_id: cluster.cluster_id.clone(),
        cluster_name: cluster.cluster_name.clone(),
        region,
        cluster_type: facts.cluster_type.clone(),
        release_version: facts.release_version.clone(),
        state: facts.state.clone(),
        metastore_type: facts.metastore_type.clone(),
        kerberos: facts.kerberos,
        eligible: violations.is_empty(),
        reasons: violations.iter().map(|v| v.reason as i32).collect(),
        messages: violations.into_iter().map(|v| v.message).collect(),
        config_fingerprint: String::new(),
        vpc_id: String::new(),
        vswitch_id: String::new(),
        zone_id: String::new(),
        ldap: false,
    }
}

#[cfg(test)]
mod tests;
