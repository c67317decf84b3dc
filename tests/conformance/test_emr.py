"""EMR through alibabacloud-emr20210320 (GetCluster, ListClusters, ListApplicationConfigs) and
through the legacy aliyun-python-sdk-core + aliyun-python-sdk-emr request (DescribeClusterV2,
2016-04-08): the world's clusters, as each API version describes them."""

from __future__ import annotations

import json

import pytest
from alibabacloud_emr20210320 import models as emr
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkemr.request.v20160408.DescribeClusterV2Request import DescribeClusterV2Request

import documented
from conftest import (
    CONSUMER,
    DATALAKE_CLUSTER,
    DLF_CLUSTER,
    ELIGIBLE_CLUSTER,
    KERBEROS_CLUSTER,
    PROVIDER,
    REGION,
    SHANGHAI_CLUSTER,
    checked,
    checked_error,
)
from sdkcheck import require


def get_cluster(client, tap, cluster_id, region=REGION):
    request = emr.GetClusterRequest(region_id=region, cluster_id=cluster_id)
    return checked(client.get_cluster(request), tap).cluster


def test_get_cluster_describes_an_eligible_hadoop_cluster(tea, tap):
    cluster = get_cluster(tea.emr(), tap, ELIGIBLE_CLUSTER)
    assert cluster.cluster_id == ELIGIBLE_CLUSTER
    assert cluster.cluster_name == "conf-hadoop"
    assert (cluster.cluster_type, cluster.cluster_state) == ("HADOOP", "RUNNING")
    assert cluster.release_version == "EMR-3.38.3"
    assert (cluster.security_mode, cluster.deploy_mode) == ("NORMAL", "HA")
    assert cluster.region_id == REGION
    assert cluster.node_attributes.vpc_id == "vpc-conformance0000001"
    assert cluster.node_attributes.zone_id == "cn-hangzhou-h"
    assert cluster.create_time < cluster.ready_time  # epoch milliseconds
    assert cluster.create_time > 1_500_000_000_000


def test_get_cluster_reports_kerberos_and_release(tea, tap):
    client = tea.emr()
    assert get_cluster(client, tap, KERBEROS_CLUSTER).security_mode == "KERBEROS"
    released = get_cluster(client, tap, DATALAKE_CLUSTER)
    assert (released.cluster_type, released.cluster_state) == ("DATALAKE", "TERMINATED")
    assert released.end_time >= released.ready_time
    assert released.state_change_reason.code == "UserRequest"


def test_cluster_ids_compare_ignoring_case(tea, tap):
    assert get_cluster(tea.emr(), tap, ELIGIBLE_CLUSTER.lower()).cluster_id == ELIGIBLE_CLUSTER


@pytest.mark.parametrize(
    "account, cluster_id, region",
    [
        (PROVIDER, "C-0000000000000000", REGION),
        (PROVIDER, SHANGHAI_CLUSTER, REGION),
        (CONSUMER, ELIGIBLE_CLUSTER, REGION),
    ],
    ids=["unknown", "other-region", "other-account"],
)
def test_get_cluster_not_found(tea, tap, account, cluster_id, region):
    with pytest.raises(ClientException) as excinfo:
        tea.emr(account).get_cluster(emr.GetClusterRequest(region_id=region, cluster_id=cluster_id))
    checked_error(excinfo, tap, 404, "NotFound.Cluster")


def test_list_clusters_filters_by_repeat_lists(tea, tap):
    client = tea.emr()
    request = emr.ListClustersRequest(
        region_id=REGION,
        cluster_ids=[ELIGIBLE_CLUSTER, DLF_CLUSTER, DATALAKE_CLUSTER],
        cluster_types=["HADOOP"],
        cluster_states=["RUNNING"],
    )
    body = checked(client.list_clusters(request), tap)
    sent = tap.last().params
    assert (sent["ClusterIds.1"], sent["ClusterIds.2"], sent["ClusterIds.3"]) == (
        ELIGIBLE_CLUSTER,
        DLF_CLUSTER,
        DATALAKE_CLUSTER,
    )
    assert (sent["ClusterTypes.1"], sent["ClusterStates.1"]) == ("HADOOP", "RUNNING")
    assert sorted(c.cluster_id for c in body.clusters) == [ELIGIBLE_CLUSTER, DLF_CLUSTER]
    assert body.total_count == 2
    assert body.next_token is None


def test_list_clusters_pages_with_next_token(tea, tap):
    client = tea.emr()
    first = checked(
        client.list_clusters(emr.ListClustersRequest(region_id=REGION, max_results=3)), tap
    )
    assert (len(first.clusters), first.total_count, first.max_results) == (3, 4, 3)
    assert first.next_token
    second = checked(
        client.list_clusters(
            emr.ListClustersRequest(region_id=REGION, max_results=3, next_token=first.next_token)
        ),
        tap,
    )
    assert len(second.clusters) == 1 and second.next_token is None
    seen = {c.cluster_id for c in first.clusters + second.clusters}
    assert seen == {ELIGIBLE_CLUSTER, DLF_CLUSTER, KERBEROS_CLUSTER, DATALAKE_CLUSTER}


@pytest.mark.parametrize(
    "cluster_id, metastore", [(ELIGIBLE_CLUSTER, "LOCAL"), (DLF_CLUSTER, "DLF")]
)
def test_list_application_configs_shows_the_metastore(tea, tap, cluster_id, metastore):
    request = emr.ListApplicationConfigsRequest(
        region_id=REGION,
        cluster_id=cluster_id,
        application_name="HIVE",
        config_item_key="hive.metastore.type",
    )
    body = checked(tea.emr().list_application_configs(request), tap)
    [item] = body.application_configs
    assert (item.application_name, item.config_file_name) == ("HIVE", "hivemetastore-site.xml")
    assert item.config_item_value == metastore
    assert body.total_count == 1


def test_list_application_configs_unfiltered_names_kerberos(tea, tap):
    request = emr.ListApplicationConfigsRequest(region_id=REGION, cluster_id=KERBEROS_CLUSTER)
    body = checked(tea.emr().list_application_configs(request), tap)
    values = {
        (c.config_file_name, c.config_item_key): c.config_item_value
        for c in body.application_configs
    }
    assert values[("core-site.xml", "hadoop.security.authentication")] == "kerberos"
    assert body.total_count == len(body.application_configs) > 3


# Types of the legacy ClusterInfo fields (no SDK model exists; these follow the Java
# unmarshaller the facts cite in section 4.4).
LEGACY_TYPES = {
    "Id": str,
    "Name": str,
    "RegionId": str,
    "ZoneId": str,
    "Status": str,
    "HighAvailabilityEnable": bool,
    "LocalMetaDb": bool,
    "MetaStoreType": str,
    "EasEnable": bool,
    "VpcId": str,
    "VSwitchId": str,
    "StartTime": int,
    "RunningTime": int,
}


def describe_cluster_v2(legacy, tap, cluster_id, account=PROVIDER, method="POST"):
    request = legacy.prepare(DescribeClusterV2Request())
    request.set_Id(cluster_id)
    request.set_method(method)
    raw = json.loads(legacy.client(account).do_action_with_exception(request))
    exchange = tap.last()
    assert exchange.status == 200 and exchange.json() == raw
    require(raw, documented.fields("DescribeClusterV2"))
    for name, kind in LEGACY_TYPES.items():
        assert type(raw["ClusterInfo"][name]) is kind, (name, raw["ClusterInfo"][name])
    return raw["ClusterInfo"]


@pytest.mark.parametrize(
    "cluster_id, metastore, local, kerberos, release",
    [
        (ELIGIBLE_CLUSTER, "LOCAL", True, False, "EMR-3.38.3"),
        (DLF_CLUSTER, "DLF", False, False, "EMR-3.38.2"),
        (KERBEROS_CLUSTER, "RDS", False, True, "EMR-3.38.2"),
    ],
)
def test_describe_cluster_v2_through_the_legacy_sdk(
    legacy, tap, cluster_id, metastore, local, kerberos, release
):
    info = describe_cluster_v2(legacy, tap, cluster_id)
    assert info["Id"] == cluster_id
    assert (info["MetaStoreType"], info["LocalMetaDb"], info["EasEnable"]) == (
        metastore,
        local,
        kerberos,
    )
    assert info["SoftwareInfo"] == {
        **info["SoftwareInfo"],
        "EmrVer": release,
        "ClusterType": "HADOOP",
    }
    assert info["Status"] == "RUNNING"
    assert isinstance(info["SoftwareInfo"]["Softwares"]["Software"], list)


def test_describe_cluster_v2_with_get(legacy, tap):
    info = describe_cluster_v2(legacy, tap, ELIGIBLE_CLUSTER, method="GET")
    assert tap.last().method == "GET" and tap.last().body == b""
    assert info["HighAvailabilityEnable"] is True


def test_describe_cluster_v2_not_found(legacy, tap):
    request = legacy.prepare(DescribeClusterV2Request())
    request.set_Id("C-0000000000000000")
    with pytest.raises(ServerException) as excinfo:
        legacy.client().do_action_with_exception(request)
    err = excinfo.value
    raw = tap.last().json()
    require(raw, documented.ERROR_FIELDS)
    assert (err.get_http_status(), err.get_error_code()) == (404, "NotFound.Cluster")
    assert err.get_request_id() == raw["RequestId"]
    assert err.get_error_msg() == raw["Message"]
