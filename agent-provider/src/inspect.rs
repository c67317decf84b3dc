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
//! consumer's resource group must be initialized again.

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
    let facts = gather_facts(&cluster, legacy.as_ref(), &configs);
    let mut check = to_check(&cluster, client.region().as_str(), &facts);
    check.config_fingerprint = config_fingerprint(&cluster.release_version, &configs);
    tracing::debug!(
        cluster.id = %check.cluster_id,
        eligible = check.eligible,
        reasons = ?check.reasons().collect::<Vec<_>>(),
        "cluster checked"
    );
    Ok(check)
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

/// The check message for `cluster` with its facts judged by the rules.
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(security_mode: Option<&str>) -> Cluster {
        serde_json::from_value(serde_json::json!({
            "ClusterId": "C-1",
            "ClusterName": "etl",
            "ClusterType": "HADOOP",
            "ClusterState": "RUNNING",
            "ReleaseVersion": "EMR-3.38.3",
            "SecurityMode": security_mode.unwrap_or(""),
            "RegionId": "cn-hangzhou",
        }))
        .expect("a cluster")
    }

    fn legacy(meta: &str, eas: bool) -> LegacyClusterInfo {
        serde_json::from_value(serde_json::json!({
            "Id": "C-1", "MetaStoreType": meta, "EasEnable": eas,
        }))
        .expect("legacy info")
    }

    fn hive(value: &str) -> ApplicationConfig {
        item("hive.metastore.type", value)
    }

    fn item(key: &str, value: &str) -> ApplicationConfig {
        serde_json::from_value(serde_json::json!({
            "ApplicationName": "HIVE",
            "ConfigFileName": "hivemetastore-site.xml",
            "ConfigItemKey": key,
            "ConfigItemValue": value,
        }))
        .expect("a config")
    }

    #[test]
    fn the_fingerprint_ignores_order_and_sees_every_change() {
        let a = [hive("LOCAL"), item("hive.exec.parallel", "true")];
        let b = [item("hive.exec.parallel", "true"), hive("LOCAL")];
        let base = config_fingerprint("EMR-3.38.3", &a);
        assert_eq!(base.len(), 64);
        assert!(base.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(base, config_fingerprint("EMR-3.38.3", &b));
        assert_ne!(base, config_fingerprint("EMR-3.38.2", &a));
        let changed = [hive("LOCAL"), item("hive.exec.parallel", "false")];
        assert_ne!(base, config_fingerprint("EMR-3.38.3", &changed));
        assert_ne!(base, config_fingerprint("EMR-3.38.3", &a[..1]));
        // Moving text between fields is a change too.
        assert_ne!(
            config_fingerprint("ab", &[item("c", "")]),
            config_fingerprint("a", &[item("bc", "")])
        );
    }

    #[test]
    fn dlf_from_either_source() {
        let c = cluster(None);
        assert!(gather_facts(&c, Some(&legacy("DLF", false)), &[hive("LOCAL")]).dlf);
        assert!(gather_facts(&c, Some(&legacy("LOCAL", false)), &[hive("dlf")]).dlf);
        let plain = gather_facts(&c, Some(&legacy("RDS", false)), &[hive("RDS")]);
        assert!(!plain.dlf);
        assert_eq!(plain.metastore_type, "RDS");
        assert_eq!(
            gather_facts(&c, None, &[hive("LOCAL")]).metastore_type,
            "LOCAL"
        );
    }

    #[test]
    fn kerberos_from_security_mode_or_eas() {
        assert!(gather_facts(&cluster(Some("KERBEROS")), None, &[]).kerberos);
        assert!(gather_facts(&cluster(Some("NORMAL")), Some(&legacy("LOCAL", true)), &[]).kerberos);
        assert!(
            !gather_facts(&cluster(Some("NORMAL")), Some(&legacy("LOCAL", false)), &[]).kerberos
        );
    }

    #[test]
    fn the_check_carries_reasons_and_sentences() {
        let c = cluster(Some("KERBEROS"));
        let check = to_check(&c, "cn-shanghai", &gather_facts(&c, None, &[]));
        assert!(!check.eligible);
        assert_eq!(
            check.reasons,
            [crossbind_proto::IneligibilityReason::KerberosEnabled as i32]
        );
        assert_eq!(check.messages.len(), 1);
        assert_eq!(check.region, "cn-hangzhou");
        assert!(check.kerberos);
    }
}
