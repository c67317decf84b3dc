"""Refusals through the SDKs' own error types: wrong secret, unknown AccessKey, a reused nonce,
a timestamp out of tolerance and a missing required parameter, each with the HTTP status,
`Code`, `Message`, `RequestId` and `Recommend` the SDK exposes. The clock and nonce of an SDK
are pinned by replacing its timestamp or nonce helper; the request is otherwise built, signed
and sent by the SDK unchanged."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest
from alibabacloud_emr20210320 import models as emr
from alibabacloud_dataworks_public20240518 import models as dw
from alibabacloud_ram20150501 import models as ram
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_sts20150401.client import Client as StsClient
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.utils import parameter_helper
from aliyunsdkemr.request.v20160408.DescribeClusterV2Request import DescribeClusterV2Request

import documented
from conftest import CONSUMER, ELIGIBLE_CLUSTER, PROVIDER, REGION, checked, checked_error
from sdkcheck import require

SIGNATURE_MISMATCH = (
    "Specified signature is not matched with our calculation. server string to sign is:"
)


def stamp(offset_minutes: float) -> str:
    at = datetime.now(timezone.utc) + timedelta(minutes=offset_minutes)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_wrong_secret_is_signature_does_not_match(tea, tap):
    with pytest.raises(ClientException) as excinfo:
        tea.sts(PROVIDER, secret="not-the-secret").get_caller_identity()
    err = checked_error(excinfo, tap, 400, "SignatureDoesNotMatch")
    message = tap.last().json()["Message"]
    assert message.startswith(SIGNATURE_MISMATCH)
    # The server's string to sign, signed with the secret the SDK used, gives the SDK's own
    # signature: both sides canonicalised the request identically.
    server_string = message[len(SIGNATURE_MISMATCH) :]
    exchange = tap.last()
    if tea.scheme == "v2":
        mac = hmac.new(b"not-the-secret&", server_string.encode(), hashlib.sha1).digest()
        assert base64.b64encode(mac).decode() == exchange.params["Signature"]
    else:
        algorithm, digest = server_string.split("\n")
        assert algorithm == "ACS3-HMAC-SHA256" and len(digest) == 64
        mac = hmac.new(b"not-the-secret", server_string.encode(), hashlib.sha256).hexdigest()
        assert exchange.headers["authorization"].endswith(f"Signature={mac}")
    assert err.data["HostId"] == tap.addr


def test_unknown_access_key_is_not_found(tea, tap):
    with pytest.raises(ClientException) as excinfo:
        tea.sts(PROVIDER, key_id="LTAI5tNobodyHasThisKey000").get_caller_identity()
    err = checked_error(excinfo, tap, 404, "InvalidAccessKeyId.NotFound")
    assert "Specified access key is not found." in err.message


def test_a_reused_nonce_is_refused(tea, tap, monkeypatch):
    monkeypatch.setattr(
        Utils, "get_nonce", staticmethod(lambda: "c0ffee00c0ffee00c0ffee00c0ffee00")
    )
    client = tea.sts(PROVIDER)
    checked(client.get_caller_identity(), tap)
    with pytest.raises(ClientException) as excinfo:
        client.get_caller_identity()
    err = checked_error(excinfo, tap, 400, "SignatureNonceUsed")
    assert "nonce" in err.message
    # A nonce belongs to its AccessKey: another key may use the same one.
    checked(tea.sts(CONSUMER).get_caller_identity(), tap)


@pytest.mark.parametrize("minutes", [-16, 16], ids=["old", "future"])
def test_a_timestamp_out_of_tolerance_is_expired(tea, tap, monkeypatch, minutes):
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stamp(minutes)))
    with pytest.raises(ClientException) as excinfo:
        tea.sts(PROVIDER).get_caller_identity()
    err = checked_error(excinfo, tap, 400, "InvalidTimeStamp.Expired")
    assert "expired" in err.message


def test_a_timestamp_within_tolerance_is_accepted(tea, tap, monkeypatch):
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stamp(-14)))
    assert checked(tea.sts(PROVIDER).get_caller_identity(), tap).account_id == PROVIDER.uid


def test_security_tokens_are_refused(tea, tap):
    config = tea.config(PROVIDER)
    config.security_token = "CAIS+token/=="
    with pytest.raises(ClientException) as excinfo:
        StsClient(config).get_caller_identity()
    checked_error(excinfo, tap, 400, "InvalidSecurityToken.MismatchWithAccessKey")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda t: t.ram().get_role(ram.GetRoleRequest()), "RoleName"),
        (
            lambda t: t.ram().create_role(ram.CreateRoleRequest(role_name="R")),
            "AssumeRolePolicyDocument",
        ),
        (
            lambda t: t.emr().get_cluster(emr.GetClusterRequest(cluster_id=ELIGIBLE_CLUSTER)),
            "RegionId",
        ),
        (lambda t: t.emr().get_cluster(emr.GetClusterRequest(region_id=REGION)), "ClusterId"),
        (lambda t: t.dataworks().get_project(dw.GetProjectRequest()), "Id"),
        (
            lambda t: t.dataworks().list_compute_resources(dw.ListComputeResourcesRequest()),
            "ProjectId",
        ),
    ],
    ids=[
        "GetRole",
        "CreateRole",
        "GetCluster-region",
        "GetCluster-id",
        "GetProject",
        "ListComputeResources",
    ],
)
def test_a_missing_required_parameter_is_named(tea, tap, call, name):
    with pytest.raises(ClientException) as excinfo:
        call(tea)
    err = checked_error(excinfo, tap, 400, f"Missing{name}")
    assert f"{name} is mandatory for this action." in err.message


# The legacy core SDK (V2 only).


def describe(legacy, **keys):
    request = legacy.prepare(DescribeClusterV2Request())
    request.set_Id(ELIGIBLE_CLUSTER)
    return legacy.client(**keys).do_action_with_exception(request)


def legacy_error(excinfo, tap, status, code):
    err = excinfo.value
    raw = tap.last().json()
    require(raw, documented.ERROR_FIELDS)
    assert tap.last().status == status
    assert (err.get_http_status(), err.get_error_code()) == (status, code)
    assert err.get_request_id() == raw["RequestId"]
    return err, raw


def test_legacy_wrong_secret_is_recognised_by_the_sdk(legacy, tap):
    with pytest.raises(ServerException) as excinfo:
        describe(legacy, secret="not-the-secret")
    # The core SDK turns SignatureDoesNotMatch into InvalidAccessKeySecret only when the
    # server's string to sign (after the first ':' of the message) equals its own.
    err, raw = legacy_error(excinfo, tap, 400, "InvalidAccessKeySecret")
    assert raw["Code"] == "SignatureDoesNotMatch"
    assert raw["Message"].startswith(SIGNATURE_MISMATCH)


def test_legacy_unknown_access_key_is_not_found(legacy, tap):
    with pytest.raises(ServerException) as excinfo:
        describe(legacy, key_id="LTAI5tNobodyHasThisKey000")
    err, raw = legacy_error(excinfo, tap, 404, "InvalidAccessKeyId.NotFound")
    assert err.get_error_msg() == raw["Message"] == "Specified access key is not found."


def test_legacy_old_timestamp_is_expired(legacy, tap, monkeypatch):
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stamp(-30))
    with pytest.raises(ServerException) as excinfo:
        describe(legacy)
    legacy_error(excinfo, tap, 400, "InvalidTimeStamp.Expired")


def test_legacy_reused_nonce_is_refused(legacy, tap, monkeypatch):
    monkeypatch.setattr(
        parameter_helper, "get_uuid", lambda: "6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2"
    )
    describe(legacy)
    with pytest.raises(ServerException) as excinfo:
        describe(legacy)
    legacy_error(excinfo, tap, 400, "SignatureNonceUsed")
