"""RAM 2015-05-01 role actions through alibabacloud-ram20150501: what CreateRole stores is what
GetRole returns, UpdateRole replaces it, policies attach, list and detach, and RAM's conflict
and not-found errors arrive in the SDK's error type."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ram20150501 import models as ram
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import (
    CONSUMER,
    EXISTING_ROLE,
    POLICY,
    PROVIDER,
    checked,
    checked_error,
    create_role,
    trust_policy,
)


def test_create_role_answers_the_new_role(tea, tap):
    role = create_role(
        tea.ram(),
        tap,
        description="lets account A's DataWorks read EMR",
        max_session_duration=3600,
    )
    assert role.role_name == "EMRRole"
    assert role.arn == f"acs:ram::{PROVIDER.uid}:role/emrrole"
    assert role.role_id.isdigit()
    assert role.assume_role_policy_document == trust_policy(CONSUMER.uid)
    assert role.description == "lets account A's DataWorks read EMR"
    assert role.max_session_duration == 3600
    assert role.allow_console_login is False
    assert role.create_date.endswith("Z") and len(role.create_date) == 20


def test_get_role_returns_what_create_role_stored(tea, tap):
    client = tea.ram()
    created = create_role(client, tap)
    role = checked(client.get_role(ram.GetRoleRequest(role_name="EMRRole")), tap).role
    assert role.assume_role_policy_document == created.assume_role_policy_document
    assert (role.role_id, role.arn, role.create_date) == (
        created.role_id,
        created.arn,
        created.create_date,
    )
    assert role.role_principal_name == f"EMRRole@role.{PROVIDER.uid}.onaliyunservice.com"
    assert role.is_service_linked_role is False
    assert role.update_date == created.create_date
    # RAM role names are case-insensitive.
    again = checked(client.get_role(ram.GetRoleRequest(role_name="emrrole")), tap).role
    assert again.role_id == created.role_id


def test_roles_belong_to_the_callers_account(tea, tap):
    create_role(tea.ram(PROVIDER), tap)
    with pytest.raises(ClientException) as excinfo:
        tea.ram(CONSUMER).get_role(ram.GetRoleRequest(role_name="EMRRole"))
    checked_error(excinfo, tap, 404, "EntityNotExist.Role")


def test_create_role_twice_is_a_conflict(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    with pytest.raises(ClientException) as excinfo:
        create_role(client, tap)
    checked_error(excinfo, tap, 409, "EntityAlreadyExists.Role")


def test_update_role_replaces_the_trust_policy(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    merged = trust_policy("5500000000000009", CONSUMER.uid)
    request = ram.UpdateRoleRequest(
        role_name="EMRRole",
        new_assume_role_policy_document=merged,
        new_description="two consumers",
        new_max_session_duration=7200,
    )
    updated = checked(client.update_role(request), tap).role
    assert updated.assume_role_policy_document == merged
    assert (updated.description, updated.max_session_duration) == ("two consumers", 7200)
    role = checked(client.get_role(ram.GetRoleRequest(role_name="EMRRole")), tap).role
    assert role.assume_role_policy_document == merged
    assert role.update_date >= role.create_date


def test_update_role_refuses_a_malformed_policy(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    request = ram.UpdateRoleRequest(
        role_name="EMRRole", new_assume_role_policy_document="{not json"
    )
    with pytest.raises(ClientException) as excinfo:
        client.update_role(request)
    checked_error(excinfo, tap, 400, "MalformedPolicyDocument")


def test_policies_attach_list_and_detach(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    attach = ram.AttachPolicyToRoleRequest(
        policy_type="System", policy_name=POLICY, role_name="EMRRole"
    )
    checked(client.attach_policy_to_role(attach), tap)

    listed = checked(
        client.list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name="EMRRole")), tap
    )
    [policy] = listed.policies.policy
    assert (policy.policy_name, policy.policy_type, policy.default_version) == (
        POLICY,
        "System",
        "v1",
    )
    assert policy.attach_date.endswith("Z")

    with pytest.raises(ClientException) as excinfo:
        client.attach_policy_to_role(attach)
    checked_error(excinfo, tap, 409, "EntityAlreadyExists.Role.Policy")

    detach = ram.DetachPolicyFromRoleRequest(
        policy_type="System", policy_name=POLICY, role_name="EMRRole"
    )
    checked(client.detach_policy_from_role(detach), tap)
    listed = checked(
        client.list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name="EMRRole")), tap
    )
    assert listed.policies.policy == []

    with pytest.raises(ClientException) as excinfo:
        client.detach_policy_from_role(detach)
    checked_error(excinfo, tap, 404, "EntityNotExist.Role.Policy")


def test_unknown_policies_and_types_are_refused(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    with pytest.raises(ClientException) as excinfo:
        client.attach_policy_to_role(
            ram.AttachPolicyToRoleRequest(
                policy_type="System", policy_name="NoSuchPolicy", role_name="EMRRole"
            )
        )
    checked_error(excinfo, tap, 404, "EntityNotExist.Policy")
    with pytest.raises(ClientException) as excinfo:
        client.attach_policy_to_role(
            ram.AttachPolicyToRoleRequest(
                policy_type="Managed", policy_name=POLICY, role_name="EMRRole"
            )
        )
    checked_error(excinfo, tap, 400, "InvalidParameter.PolicyType")


def test_delete_role_needs_its_policies_detached(tea, tap):
    client = tea.ram()
    create_role(client, tap)
    attach = ram.AttachPolicyToRoleRequest(
        policy_type="System", policy_name=POLICY, role_name="EMRRole"
    )
    checked(client.attach_policy_to_role(attach), tap)
    with pytest.raises(ClientException) as excinfo:
        client.delete_role(ram.DeleteRoleRequest(role_name="EMRRole"))
    checked_error(excinfo, tap, 409, "DeleteConflict.Role.Policy")

    detach = ram.DetachPolicyFromRoleRequest(
        policy_type="System", policy_name=POLICY, role_name="EMRRole"
    )
    checked(client.detach_policy_from_role(detach), tap)
    checked(client.delete_role(ram.DeleteRoleRequest(role_name="EMRRole")), tap)
    with pytest.raises(ClientException) as excinfo:
        client.get_role(ram.GetRoleRequest(role_name="EMRRole"))
    checked_error(excinfo, tap, 404, "EntityNotExist.Role")
    with pytest.raises(ClientException) as excinfo:
        client.delete_role(ram.DeleteRoleRequest(role_name="EMRRole"))
    checked_error(excinfo, tap, 404, "EntityNotExist.Role")


def test_the_worlds_role_is_there_from_the_start(tea, tap):
    client = tea.ram()
    role = checked(client.get_role(ram.GetRoleRequest(role_name=EXISTING_ROLE)), tap).role
    assert role.description == "present before the suite starts"
    assert role.max_session_duration == 7200
    assert json.loads(role.assume_role_policy_document)["Statement"][0]["Principal"] == {
        "RAM": [f"acs:ram::{PROVIDER.uid}:root"]
    }
    listed = checked(
        client.list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name=EXISTING_ROLE)), tap
    )
    assert [p.policy_name for p in listed.policies.policy] == ["ReadOnlyAccess"]


def test_list_roles_pages_with_marker(tea, tap):
    client = tea.ram()
    create_role(client, tap, name="SecondRole")
    first = checked(client.list_roles(ram.ListRolesRequest(max_items=1)), tap)
    assert first.is_truncated is True and first.marker
    assert [r.role_name for r in first.roles.role] == [EXISTING_ROLE]
    second = checked(client.list_roles(ram.ListRolesRequest(max_items=1, marker=first.marker)), tap)
    assert second.is_truncated is False
    assert [r.role_name for r in second.roles.role] == ["SecondRole"]
