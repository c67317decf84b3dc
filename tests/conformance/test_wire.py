"""Wire details that differ between clients, asserted twice: on the bytes the SDK really sent
(through the wiretap) and on cloudsim accepting them and storing the decoded value. Spaces
travel as `+` in the query and in form bodies but are signed as `%20`; empty values are sent
and signed; UTF-8 and reserved characters survive; the method (GET or POST) is part of the
signature; `Format` is `json` from the Tea SDKs and `JSON` from the core SDK, which also sends
an empty `SignatureType`. JSON-style lists are in test_dataworks (ListProjects), comma-style
lists there too (ListComputeResources `Types`), repeat lists in test_emr (`ClusterIds.n`)."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ram20150501 import models as ram
from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
from aliyunsdkemr.request.v20160408.DescribeClusterV2Request import DescribeClusterV2Request
from darabonba.runtime import RuntimeOptions

from conftest import ELIGIBLE_CLUSTER, checked, create_role
from sdkcheck import conform


def get_role(client, tap, name="EMRRole"):
    return checked(client.get_role(ram.GetRoleRequest(role_name=name)), tap).role


def generic(client, action, *, method="POST", query=None, body=None):
    """Calls a RAM action through the Tea SDK's generic `call_api`, which lets the caller put
    business parameters in the form body and choose the method."""
    params = Params(
        action=action,
        version="2015-05-01",
        protocol="HTTPS",
        pathname="/",
        method=method,
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = OpenApiRequest(query=query or {}, body=body)
    return client.call_api(params, request, RuntimeOptions())


@pytest.mark.parametrize(
    "description",
    [
        "cross account role",
        "a=b&c+d%20e *~/",
        "测试角色：数据开发 🚀 ✓",
    ],
    ids=["spaces", "reserved", "utf8"],
)
def test_query_values_round_trip(tea, tap, description):
    client = tea.ram()
    create_role(client, tap, description=description)
    sent = tap.last()
    assert sent.query["Description"] == description
    if description == "cross account role":
        assert "Description=cross+account+role" in sent.raw_query
    assert get_role(client, tap).description == description


def test_form_body_spaces_arrive_as_plus(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    answer = generic(
        client,
        "UpdateRole",
        query={"RoleName": "EMRRole"},
        body={"NewDescription": "moved to the form body", "NewMaxSessionDuration": "7200"},
    )
    sent = tap.last()
    assert sent.is_form and "NewDescription" not in sent.query
    assert b"NewDescription=moved+to+the+form+body" in sent.body
    assert answer["statusCode"] == 200
    conform(ram.UpdateRoleResponseBody().from_map(answer["body"]), sent.json())
    role = get_role(client, tap)
    assert (role.description, role.max_session_duration) == ("moved to the form body", 7200)


def test_empty_values_are_sent_and_signed(tea, tap):
    client = tea.ram()
    create_role(client, tap, description="to be cleared")
    checked(client.update_role(ram.UpdateRoleRequest(role_name="EMRRole", new_description="")), tap)
    sent = tap.last()
    assert sent.query["NewDescription"] == ""
    assert any(part == "NewDescription=" for part in sent.raw_query.split("&"))
    assert get_role(client, tap).description == ""


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_method_is_signed_as_sent(tea, tap, method):
    client = tea.ram()
    create_role(client, tap)
    answer = generic(client, "GetRole", method=method, query={"RoleName": "EMRRole"})
    sent = tap.last()
    assert sent.method == method and sent.body == b""
    assert answer["statusCode"] == 200
    assert answer["body"]["Role"]["RoleName"] == "EMRRole"


def test_tea_sdks_send_lower_case_format_in_v2_only(tea, tap):
    client = tea.ram()
    get_role(client, tap, "ExistingRole")
    sent = tap.last()
    if tea.scheme == "v2":
        assert sent.query["Format"] == "json"
        assert sent.query["SignatureMethod"] == "HMAC-SHA1"
        assert sent.query["SignatureVersion"] == "1.0"
        assert sent.query["Action"] == "GetRole"
    else:
        assert "Format" not in sent.query and "Signature" not in sent.query
        assert sent.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=")
        assert sent.headers["x-acs-action"] == "GetRole"
        assert sent.headers["x-acs-version"] == "2015-05-01"


def test_the_core_sdk_sends_upper_case_format_and_an_empty_signature_type(legacy, tap):
    request = legacy.prepare(DescribeClusterV2Request())
    request.set_Id(ELIGIBLE_CLUSTER)
    raw = json.loads(legacy.client().do_action_with_exception(request))
    sent = tap.last()
    assert sent.query["Format"] == "JSON"
    assert sent.query["SignatureType"] == ""
    assert sent.query["RegionId"] == "cn-hangzhou"
    assert raw["ClusterInfo"]["Id"] == ELIGIBLE_CLUSTER


def test_the_core_sdk_signs_form_body_parameters(legacy, tap):
    request = legacy.prepare(DescribeClusterV2Request())
    request.add_body_params("Id", ELIGIBLE_CLUSTER)
    raw = json.loads(legacy.client().do_action_with_exception(request))
    sent = tap.last()
    assert sent.is_form and sent.form["Id"] == ELIGIBLE_CLUSTER and "Id" not in sent.query
    assert raw["ClusterInfo"]["Id"] == ELIGIBLE_CLUSTER
