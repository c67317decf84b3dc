//! EMR reads: own clusters only, in the request's region; filters, paging and the legacy view.

use crate::support::*;

#[tokio::test]
async fn get_cluster_sees_only_the_callers_clusters_in_the_region() {
    let h = Harness::start().await;
    let body = ok(h
        .call(
            B,
            "GetCluster",
            EMR,
            &[("RegionId", REGION), ("ClusterId", ELIGIBLE)],
        )
        .await);
    let c = &body["Cluster"];
    assert_eq!(c["ClusterType"], "HADOOP");
    assert_eq!(c["ReleaseVersion"], "EMR-3.38.3");
    assert_eq!(c["SecurityMode"], "NORMAL");
    assert_eq!(c["ClusterState"], "RUNNING");
    assert_eq!(c["NodeAttributes"]["VpcId"], "vpc-bp1provider0000000001");
    // Epoch milliseconds: one day before the emulator started.
    assert_eq!(c["CreateTime"], 1_768_379_400_000_i64);

    let lower = ok(h
        .call(
            B,
            "GetCluster",
            EMR,
            &[("RegionId", REGION), ("ClusterId", "c-4f2a9b1c8d3e7a60")],
        )
        .await);
    assert_eq!(lower["Cluster"]["ClusterId"], ELIGIBLE);

    let other_account = h
        .call(
            A,
            "GetCluster",
            EMR,
            &[("RegionId", REGION), ("ClusterId", ELIGIBLE)],
        )
        .await;
    assert_error(&other_account, 404, "NotFound.Cluster");
    let other_region = h
        .call(
            B,
            "GetCluster",
            EMR,
            &[("RegionId", "cn-beijing"), ("ClusterId", ELIGIBLE)],
        )
        .await;
    assert_error(&other_region, 404, "NotFound.Cluster");
    assert_error(
        &h.call(B, "GetCluster", EMR, &[("ClusterId", ELIGIBLE)])
            .await,
        400,
        "MissingRegionId",
    );
}

#[tokio::test]
async fn list_clusters_filters_by_repeat_lists_and_pages() {
    let h = Harness::start().await;
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["Clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["ClusterId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = ok(h
        .call(B, "ListClusters", EMR, &[("RegionId", REGION)])
        .await);
    assert_eq!(all["TotalCount"], 9);
    assert!(all.get("NextToken").is_none());

    let filtered = ok(h
        .call(
            B,
            "ListClusters",
            EMR,
            &[
                ("RegionId", REGION),
                ("ClusterTypes.1", "HADOOP"),
                ("ClusterStates.1", "RUNNING"),
                ("ClusterStates.2", "STARTING"),
            ],
        )
        .await);
    assert_eq!(filtered["TotalCount"], 7);
    assert!(!ids(&filtered).contains(&"C-3E4F5A6B7C8D9E0F".to_owned()));

    let by_id = ok(h
        .call(
            B,
            "ListClusters",
            EMR,
            &[
                ("RegionId", REGION),
                ("ClusterIds.1", "c-5d1e0f2a3b4c5d6e"),
                ("ClusterIds.2", ELIGIBLE),
            ],
        )
        .await);
    assert_eq!(ids(&by_id), [ELIGIBLE, "c-5d1e0f2a3b4c5d6e"]);

    let page1 = ok(h
        .call(
            B,
            "ListClusters",
            EMR,
            &[("RegionId", REGION), ("MaxResults", "5")],
        )
        .await);
    assert_eq!(ids(&page1).len(), 5);
    let token = page1["NextToken"].as_str().unwrap().to_owned();
    let page2 = ok(h
        .call(
            B,
            "ListClusters",
            EMR,
            &[
                ("RegionId", REGION),
                ("MaxResults", "5"),
                ("NextToken", &token),
            ],
        )
        .await);
    assert_eq!(ids(&page2).len(), 4);
    assert!(page2.get("NextToken").is_none());
    assert!(ids(&page2).iter().all(|id| !ids(&page1).contains(id)));

    let none = ok(h
        .call(A, "ListClusters", EMR, &[("RegionId", REGION)])
        .await);
    assert_eq!(none["TotalCount"], 0);
    assert_error(
        &h.call(
            B,
            "ListClusters",
            EMR,
            &[("RegionId", REGION), ("MaxResults", "101")],
        )
        .await,
        400,
        "InvalidParameter",
    );
}

#[tokio::test]
async fn application_configs_report_the_metastore_type() {
    let h = Harness::start().await;
    let metastore = |cluster: &'static str| {
        let h = &h;
        async move {
            let body = ok(h
                .call(
                    B,
                    "ListApplicationConfigs",
                    EMR,
                    &[
                        ("RegionId", REGION),
                        ("ClusterId", cluster),
                        ("ApplicationName", "HIVE"),
                        ("ConfigFileName", "hivemetastore-site.xml"),
                        ("ConfigItemKey", "hive.metastore.type"),
                    ],
                )
                .await);
            let items = body["ApplicationConfigs"].as_array().unwrap().clone();
            assert_eq!(items.len(), 1, "{body}");
            items[0]["ConfigItemValue"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(metastore(ELIGIBLE).await, "LOCAL");
    assert_eq!(metastore("C-6A7B8C9D0E1F2A3B").await, "RDS");
    assert_eq!(metastore("C-1C2D3E4F5A6B7C8D").await, "DLF");

    let all = ok(h
        .call(
            B,
            "ListApplicationConfigs",
            EMR,
            &[("RegionId", REGION), ("ClusterId", ELIGIBLE)],
        )
        .await);
    assert!(all["TotalCount"].as_u64().unwrap() > 3);
    // Field names as the SDK's ListApplicationConfigs model spells them.
    let item = &all["ApplicationConfigs"][0];
    assert!(item["Description"].is_string(), "{item}");
    assert!(item["ConfigDescription"].is_null() && item["ConfigScope"].is_null());
}

#[tokio::test]
async fn describe_cluster_v2_gives_the_legacy_flags() {
    let h = Harness::start().await;
    let info = |id: &'static str| {
        let h = &h;
        async move {
            ok(h.call(
                B,
                "DescribeClusterV2",
                EMR_LEGACY,
                &[("RegionId", REGION), ("Id", id)],
            )
            .await)["ClusterInfo"]
                .clone()
        }
    };
    let eligible = info(ELIGIBLE).await;
    assert_eq!(eligible["EasEnable"], false);
    assert_eq!(eligible["LocalMetaDb"], true);
    assert_eq!(eligible["MetaStoreType"], "LOCAL");
    assert_eq!(eligible["Status"], "RUNNING");
    assert_eq!(eligible["SoftwareInfo"]["EmrVer"], "EMR-3.38.3");
    assert_eq!(eligible["SoftwareInfo"]["ClusterType"], "HADOOP");
    assert!(
        eligible["SoftwareInfo"]["Softwares"]["Software"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(info("C-2D3E4F5A6B7C8D9E").await["EasEnable"], true);
    let dlf = info("C-1C2D3E4F5A6B7C8D").await;
    assert_eq!(
        (dlf["MetaStoreType"].as_str(), dlf["LocalMetaDb"].as_bool()),
        (Some("DLF"), Some(false))
    );
    assert_eq!(info("C-3E4F5A6B7C8D9E0F").await["Status"], "RELEASED");
    assert_error(
        &h.call(A, "DescribeClusterV2", EMR_LEGACY, &[("Id", ELIGIBLE)])
            .await,
        404,
        "NotFound.Cluster",
    );
}
