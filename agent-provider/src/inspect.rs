//! Gathering what the eligibility rules need about one cluster from EMR, and turning the
//! verdict into a `ClusterCheck`. Read-only: nothing here changes a cluster.
//!
//! Sources: EMR 2021 `GetCluster` (type, release, state, `SecurityMode`),
//! `ListApplicationConfigs` (`hive.metastore.type`) and, for Hadoop clusters, the legacy 2016
//! `DescribeClusterV2` (`MetaStoreType`, `EasEnable`). DLF counts when either source says DLF;
//! Kerberos when `SecurityMode` is `KERBEROS` or `EasEnable` is true.

use crossbind_aliyun::client::Client;
use crossbind_aliyun::emr::{ApplicationConfig, Cluster, LegacyClusterInfo};
use crossbind_aliyun::ids::{AccountUid, ClusterId};
use crossbind_proto::ClusterCheck;

use crate::eligibility::{self, ClusterFacts, SUPPORTED_CLUSTER_TYPE};
use crate::error::{Error, Result, cloud};

/// The Hive setting that names the metastore.
pub(crate) const METASTORE_TYPE_KEY: &str = "hive.metastore.type";

/// The metastore value meaning DLF unified metadata.
const DLF: &str = "DLF";

/// The `SecurityMode` value meaning Kerberos.
const KERBEROS: &str = "KERBEROS";

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
            .list_application_configs(id, None, None, Some(METASTORE_TYPE_KEY))
            .await
            .map_err(cloud("ListApplicationConfigs"))
    };
    let (legacy, configs) = futures::future::try_join(legacy, configs).await?;
    let facts = gather_facts(&cluster, legacy.as_ref(), &configs);
    let check = to_check(&cluster, client.region().as_str(), &facts);
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
    let dlf = legacy_type.is_some_and(|t| t.eq_ignore_ascii_case(DLF))
        || hive_values.iter().any(|v| v.eq_ignore_ascii_case(DLF));
    let metastore_type = if dlf {
        DLF.to_owned()
    } else {
        legacy_type
            .or_else(|| hive_values.first().copied())
            .unwrap_or_default()
            .to_owned()
    };
    let kerberos = cluster
        .security_mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case(KERBEROS))
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
        serde_json::from_value(serde_json::json!({
            "ApplicationName": "HIVE",
            "ConfigFileName": "hivemetastore-site.xml",
            "ConfigItemKey": "hive.metastore.type",
            "ConfigItemValue": value,
        }))
        .expect("a config")
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
