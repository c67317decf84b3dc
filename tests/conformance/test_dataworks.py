"""DataWorks 2024-05-18 through alibabacloud-dataworks-public20240518: workspaces (GetProject
over GET, ListProjects with JSON-encoded lists in a form body), the cross-account EMR
compute resource, registered once per environment and grouped under one name, resource groups
bound and unbound, and data sources listed (GET, comma-separated types) and tested for
connectivity from a resource group."""

from __future__ import annotations

import json

import pytest
from alibabacloud_dataworks_public20240518 import models as dw
from alibabacloud_ram20150501 import models as ram
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import (
    BASIC_WORKSPACE,
    CONSUMER,
    DLF_CLUSTER,
    ELIGIBLE_CLUSTER,
    FROZEN_WORKSPACE,
    PROVIDER,
    REGION,
    POLICY,
    STANDARD_WORKSPACE,
    checked,
    checked_error,
    trust_policy,
)


def get_project(client, tap, project_id):
    return checked(client.get_project(dw.GetProjectRequest(id=project_id)), tap).project


def test_get_project_tells_standard_from_basic_mode(tea, tap):
    client = tea.dataworks()
    standard = get_project(client, tap, STANDARD_WORKSPACE)
    assert tap.last().method == "GET" and tap.last().body == b""
    assert (standard.id, standard.name, standard.display_name) == (
        STANDARD_WORKSPACE,
        "conformance_std",
        "Conformance standard",
    )
    assert (standard.owner, standard.status) == (CONSUMER.uid, "Available")
    assert standard.dev_environment_enabled is True
    assert standard.description == "standard-mode workspace"
    basic = get_project(client, tap, BASIC_WORKSPACE)
    assert basic.dev_environment_enabled is False
    assert basic.display_name == "conformance_basic"


def test_get_project_of_another_account_is_not_found(tea, tap):
    with pytest.raises(ClientException) as excinfo:
        tea.dataworks(PROVIDER).get_project(dw.GetProjectRequest(id=STANDARD_WORKSPACE))
    checked_error(excinfo, tap, 404, "Project.NotFound")


def test_list_projects_reads_json_lists_from_the_form_body(tea, tap):
    client = tea.dataworks()
    request = dw.ListProjectsRequest(ids=[STANDARD_WORKSPACE, FROZEN_WORKSPACE], page_size=10)
    body = checked(client.list_projects(request), tap)
    exchange = tap.last()
    assert exchange.method == "POST" and exchange.is_form
    assert json.loads(exchange.form["Ids"]) == [STANDARD_WORKSPACE, FROZEN_WORKSPACE]
    assert [p.id for p in body.paging_info.projects] == [STANDARD_WORKSPACE, FROZEN_WORKSPACE]
    assert body.paging_info.total_count == 2
    assert body.paging_info.projects[1].status == "Frozen"

    request = dw.ListProjectsRequest(names=["conformance_basic"])
    body = checked(client.list_projects(request), tap)
    assert json.loads(tap.last().form["Names"]) == ["conformance_basic"]
    [project] = body.paging_info.projects
    assert (project.id, project.dev_environment_enabled) == (BASIC_WORKSPACE, False)


def test_list_projects_filters_by_status_and_pages(tea, tap):
    client = tea.dataworks()
    body = checked(client.list_projects(dw.ListProjectsRequest(status="Available")), tap)
    assert [p.id for p in body.paging_info.projects] == [STANDARD_WORKSPACE, BASIC_WORKSPACE]
    page = checked(
        client.list_projects(dw.ListProjectsRequest(page_number=2, page_size=2)), tap
    ).paging_info
    assert (page.page_number, page.page_size, page.total_count) == (2, 2, 3)
    assert [p.id for p in page.projects] == [FROZEN_WORKSPACE]


def grant(tea, tap):
    """Account B's side: the role trusting A's DataWorks, with the EMR read policy."""
    client = tea.ram(PROVIDER)
    create = ram.CreateRoleRequest(
        role_name="EMRRole", assume_role_policy_document=trust_policy(CONSUMER.uid)
    )
    checked(client.create_role(create), tap)
    attach = ram.AttachPolicyToRoleRequest(
        policy_type="System", policy_name=POLICY, role_name="EMRRole"
    )
    checked(client.attach_policy_to_role(attach), tap)


def properties(env: str, cluster_id: str = ELIGIBLE_CLUSTER) -> str:
    return json.dumps(
        {
            "envType": env,
            "regionId": REGION,
            "clusterId": cluster_id,
            "crossAccountOwnerId": PROVIDER.uid,
            "crossAccountRoleName": "EMRRole",
            "authType": "RamRole",
        }
    )


def register(
    client, tap, env, name="emr_cross", project_id=STANDARD_WORKSPACE, cluster_id=ELIGIBLE_CLUSTER
):
    request = dw.CreateComputeResourceRequest(
        project_id=project_id,
        name=name,
        type="emr",
        connection_properties_mode="InstanceMode",
        connection_properties=properties(env, cluster_id),
        description=f"{env} side",
    )
    return checked(client.create_compute_resource(request), tap).id


def test_compute_resources_register_list_get_and_delete(tea, tap):
    grant(tea, tap)
    client = tea.dataworks()
    dev = register(client, tap, "Dev")
    prod = register(client, tap, "Prod")
    assert isinstance(dev, int) and dev != prod

    request = dw.ListComputeResourcesRequest(
        project_id=STANDARD_WORKSPACE, types=["emr", "hologres"]
    )
    listed = checked(client.list_compute_resources(request), tap).paging_info
    assert tap.last().params["Types"] == "emr,hologres"
    [group] = listed.compute_resources
    assert (group.name, group.type, listed.total_count) == ("emr_cross", "emr", 1)
    by_id = {entry.id: entry for entry in group.compute_resource}
    assert sorted(by_id) == sorted([dev, prod])
    assert by_id[dev].connection_properties["envType"] == "Dev"
    assert by_id[prod].connection_properties == json.loads(properties("Prod"))
    assert by_id[prod].create_user == CONSUMER.uid

    only_prod = dw.ListComputeResourcesRequest(
        project_id=STANDARD_WORKSPACE, env_type="Prod", name="emr_cross"
    )
    [group] = checked(client.list_compute_resources(only_prod), tap).paging_info.compute_resources
    assert [entry.id for entry in group.compute_resource] == [prod]

    resource = checked(
        client.get_compute_resource(
            dw.GetComputeResourceRequest(id=prod, project_id=STANDARD_WORKSPACE)
        ),
        tap,
    ).compute_resource
    assert (resource.id, resource.project_id, resource.name, resource.type) == (
        prod,
        STANDARD_WORKSPACE,
        "emr_cross",
        "emr",
    )
    assert resource.connection_properties == json.loads(properties("Prod"))
    assert resource.connection_properties_mode == "InstanceMode"
    assert resource.description == "Prod side"
    assert resource.qualified_name.startswith(f"{CONSUMER.uid}:{REGION}:emr:")

    delete = dw.DeleteComputeResourceRequest(id=dev, project_id=STANDARD_WORKSPACE)
    assert checked(client.delete_compute_resource(delete), tap).success is True
    with pytest.raises(ClientException) as excinfo:
        client.get_compute_resource(
            dw.GetComputeResourceRequest(id=dev, project_id=STANDARD_WORKSPACE)
        )
    checked_error(excinfo, tap, 404, "ComputeResource.NotFound")
    with pytest.raises(ClientException) as excinfo:
        client.delete_compute_resource(delete)
    checked_error(excinfo, tap, 404, "ComputeResource.NotFound")


def test_the_same_environment_cannot_be_registered_twice(tea, tap):
    grant(tea, tap)
    client = tea.dataworks()
    register(client, tap, "Prod")
    with pytest.raises(ClientException) as excinfo:
        register(client, tap, "Prod")
    checked_error(excinfo, tap, 409, "ComputeResource.AlreadyExists")


def test_a_basic_workspace_has_no_dev_environment(tea, tap):
    grant(tea, tap)
    client = tea.dataworks()
    register(client, tap, "Prod", project_id=BASIC_WORKSPACE)
    with pytest.raises(ClientException) as excinfo:
        register(client, tap, "Dev", project_id=BASIC_WORKSPACE)
    checked_error(excinfo, tap, 400, "InvalidParameter")


def test_registration_needs_the_role_in_the_other_account(tea, tap):
    with pytest.raises(ClientException) as excinfo:
        register(tea.dataworks(), tap, "Prod")
    err = checked_error(excinfo, tap, 403, "Forbidden.CrossAccountRole")
    assert "does not exist" in err.message


def test_registration_refuses_a_dlf_cluster(tea, tap):
    grant(tea, tap)
    with pytest.raises(ClientException) as excinfo:
        register(tea.dataworks(), tap, "Prod", cluster_id=DLF_CLUSTER)
    err = checked_error(excinfo, tap, 400, "InvalidParameter.ClusterNotSupported")
    assert "DLF" in err.message


def test_account_mappings_are_upserted_and_removed_through_json_lists(tea, tap):
    grant(tea, tap)
    client = tea.dataworks()
    prod = register(client, tap, "Prod", name="emr_mapped")
    upserts = [
        dw.UpdateComputeResourceAuthUserMappingsRequestUpserts(
            user_id="216959339000000001", username="etl", password="pw-1"
        ),
        dw.UpdateComputeResourceAuthUserMappingsRequestUpserts(
            user_id="216959339000000002", username="bi"
        ),
    ]
    update = dw.UpdateComputeResourceAuthUserMappingsRequest(
        project_id=STANDARD_WORKSPACE, compute_resource_id=prod, upserts=upserts
    )
    answer = checked(client.update_compute_resource_auth_user_mappings(update), tap)
    exchange = tap.last()
    assert exchange.method == "POST" and exchange.is_form
    assert json.loads(exchange.form["Upserts"])[0]["UserId"] == "216959339000000001"
    assert (answer.success, answer.data.status) == (True, "success")
    assert isinstance(answer.data.change_record_id, int)

    remove = dw.UpdateComputeResourceAuthUserMappingsRequest(
        project_id=STANDARD_WORKSPACE,
        compute_resource_id=prod,
        remove_user_ids=["216959339000000001"],
    )
    checked(client.update_compute_resource_auth_user_mappings(remove), tap)
    read = dw.GetComputeResourceAuthUserMappingsRequest(
        project_id=STANDARD_WORKSPACE, compute_resource_id=prod
    )
    data = checked(client.get_compute_resource_auth_user_mappings(read), tap).data
    assert data.hadoop_auth_type == "simple"
    assert [(a.user_id, a.username) for a in data.accounts] == [("216959339000000002", "bi")]


def test_resource_groups_are_listed_bound_and_read_back(tea, tap):
    client = tea.dataworks()
    group_id = "Serverless_res_group_5500000000000001_01"
    listed = checked(
        client.list_resource_groups(dw.ListResourceGroupsRequest(statuses=["Normal"])), tap
    ).paging_info
    exchange = tap.last()
    assert exchange.method == "GET"
    assert json.loads(exchange.params["Statuses"]) == ["Normal"]
    [group] = listed.resource_group_list
    assert (group.id, group.resource_group_type, group.status) == (group_id, "CommonV2", "Normal")
    assert (group.default_vpc_id, group.default_vswicth_id) == (
        "vpc-conformance01",
        "vsw-conformance01",
    )

    bind = dw.AssociateProjectToResourceGroupRequest(
        project_id=BASIC_WORKSPACE, resource_group_id=group_id
    )
    assert checked(client.associate_project_to_resource_group(bind), tap).success is True
    assert tap.last().is_form
    bound = checked(
        client.list_resource_group_associate_projects(
            dw.ListResourceGroupAssociateProjectsRequest(resource_group_id=group_id)
        ),
        tap,
    )
    assert bound.project_id_list == [STANDARD_WORKSPACE, BASIC_WORKSPACE]


def test_resource_groups_are_unbound_through_a_form_body(tea, tap):
    client = tea.dataworks()
    group_id = "Serverless_res_group_5500000000000001_01"
    unbind = dw.DissociateProjectFromResourceGroupRequest(
        project_id=STANDARD_WORKSPACE, resource_group_id=group_id
    )
    assert checked(client.dissociate_project_from_resource_group(unbind), tap).success is True
    exchange = tap.last()
    assert exchange.method == "POST" and exchange.is_form
    assert exchange.form == {"ProjectId": str(STANDARD_WORKSPACE), "ResourceGroupId": group_id}
    bound = checked(
        client.list_resource_group_associate_projects(
            dw.ListResourceGroupAssociateProjectsRequest(resource_group_id=group_id)
        ),
        tap,
    )
    assert bound.project_id_list == []
    with pytest.raises(ClientException) as excinfo:
        client.dissociate_project_from_resource_group(unbind)
    err = checked_error(excinfo, tap, 404, "ResourceGroup.NotAssociated")
    assert f"not bound to workspace {STANDARD_WORKSPACE}" in err.message


def test_data_sources_are_listed_by_name_with_the_cluster_they_point_at(tea, tap):
    client = tea.dataworks()
    request = dw.ListDataSourcesRequest(project_id=STANDARD_WORKSPACE, types=["hive", "mysql"])
    paging = checked(client.list_data_sources(request), tap).paging_info
    exchange = tap.last()
    assert exchange.method == "GET" and exchange.body == b""
    assert exchange.params["Types"] == "hive,mysql"
    assert (paging.page_number, paging.page_size, paging.total_count) == (1, 10, 1)
    [group] = paging.data_sources
    assert (group.name, group.type) == ("conf_hive", "hive")
    assert [entry.id for entry in group.data_source] == [61001, 61002]
    dev, prod = group.data_source
    assert dev.connection_properties == {
        "envType": "Dev",
        "regionId": REGION,
        "clusterId": ELIGIBLE_CLUSTER,
        "crossAccountOwnerId": PROVIDER.uid,
    }
    assert prod.connection_properties["envType"] == "Prod"
    assert prod.connection_properties_mode == "InstanceMode"
    assert prod.create_user == CONSUMER.uid

    only_prod = dw.ListDataSourcesRequest(
        project_id=STANDARD_WORKSPACE, env_type="Prod", name="conf", page_size=5
    )
    paging = checked(client.list_data_sources(only_prod), tap).paging_info
    assert tap.last().params["EnvType"] == "Prod"
    [group] = paging.data_sources
    assert [entry.id for entry in group.data_source] == [61002]
    none = dw.ListDataSourcesRequest(project_id=STANDARD_WORKSPACE, types=["mysql"])
    assert checked(client.list_data_sources(none), tap).paging_info.data_sources == []


def connectivity(client, tap, data_source_id, group_id, project_id=STANDARD_WORKSPACE):
    request = dw.TestDataSourceConnectivityRequest(
        project_id=project_id, data_source_id=data_source_id, resource_group_id=group_id
    )
    result = checked(client.test_data_source_connectivity(request), tap).connectivity
    exchange = tap.last()
    assert exchange.method == "POST" and not exchange.is_form
    assert exchange.query["DataSourceId"] == str(data_source_id)
    return result


def test_connectivity_tests_report_each_verdict(tea, tap):
    client = tea.dataworks()
    common = "Serverless_res_group_5500000000000001_01"
    integration = "Serverless_res_group_5500000000000001_02"
    far = connectivity(client, tap, 61002, common)
    assert far.connect_state == "Unreachable"
    assert "in VPC vpc-conformance01 cannot reach VPC vpc-conformance0000001" in far.connect_message
    near = connectivity(client, tap, 61002, integration)
    assert (near.connect_state, near.connect_message) == ("Connectable", "")
    assert [log.code for log in near.detail_logs] == [
        "ResourceGroupCheck",
        "ClusterCheck",
        "NetworkCheck",
    ]
    assert all(isinstance(log.start_time, int) and log.message for log in near.detail_logs)
    unbound = connectivity(client, tap, 61003, integration, project_id=BASIC_WORKSPACE)
    assert unbound.connect_state == "ConfigError"
    assert f"not bound to workspace {BASIC_WORKSPACE}" in unbound.connect_message
    assert len(unbound.detail_logs) == 1

    with pytest.raises(ClientException) as excinfo:
        client.test_data_source_connectivity(
            dw.TestDataSourceConnectivityRequest(
                project_id=STANDARD_WORKSPACE, data_source_id=69999, resource_group_id=common
            )
        )
    checked_error(excinfo, tap, 404, "DataSource.NotFound")
