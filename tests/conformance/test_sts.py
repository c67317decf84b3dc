"""STS 2015-04-01 `GetCallerIdentity` through alibabacloud-sts20150401: each key resolves to
its own account."""

from __future__ import annotations

import pytest

from conftest import CONSUMER, PROVIDER, checked


@pytest.mark.parametrize("account", [CONSUMER, PROVIDER], ids=["consumer", "provider"])
def test_get_caller_identity_names_the_keys_account(tea, tap, account):
    body = checked(tea.sts(account).get_caller_identity(), tap)
    assert body.account_id == account.uid
    assert body.identity_type == "Account"
    assert body.arn == f"acs:ram::{account.uid}:root"
    assert body.user_id == account.uid
    assert body.principal_id == account.uid
    assert body.role_id is None
