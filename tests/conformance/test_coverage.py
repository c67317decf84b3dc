"""The aliyun crate's side: the actions it calls (read from its source, so a new call cannot go
unnoticed), and its response fixtures (aliyun/tests/data/responses, one per action, parsed by
the crate's own tests), each of which must read strictly into the official SDK's model and
carry the documented fields. Together with the crate's tests this pins both ends: a field
renamed or retyped in the fixtures, the SDK or the crate fails a test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import documented
from sdkcheck import parse, require

ROOT = Path(__file__).resolve().parent.parent.parent
ALIYUN_SRC = ROOT / "aliyun" / "src"
FIXTURES = ROOT / "aliyun" / "tests" / "data" / "responses"

# The three ways aliyun/src names an action.
_ACTION_PATTERNS = [
    re.compile(r'RpcRequest::new\(\s*Product::\w+,\s*"(\w+)"'),
    re.compile(r'policy_request\(\s*"(\w+)"'),
    re.compile(r'const ACTION: &str = "(\w+)";'),
]


def aliyun_actions() -> set[str]:
    """Every action name the aliyun crate sends."""
    found: set[str] = set()
    for path in ALIYUN_SRC.rglob("*.rs"):
        if path.name == "tests.rs" or "tests" in path.relative_to(ALIYUN_SRC).parts:
            continue
        text = path.read_text()
        for pattern in _ACTION_PATTERNS:
            found.update(pattern.findall(text))
    return found


def test_the_crate_calls_the_known_actions():
    actions = aliyun_actions()
    # Pinned so that reading the source cannot silently find nothing.
    assert len(actions) >= 17, sorted(actions)
    unknown = actions - documented.ACTIONS.keys()
    assert not unknown, f"add these to documented.ACTIONS and to the suite: {sorted(unknown)}"


def test_every_action_has_exactly_one_fixture():
    fixtures = {p.stem for p in FIXTURES.glob("*.json")}
    assert fixtures == aliyun_actions()


@pytest.mark.parametrize("action", sorted(aliyun_actions()))
def test_fixture_reads_into_the_sdk_model(action):
    raw = json.loads((FIXTURES / f"{action}.json").read_text())
    require(raw, documented.fields(action), where=f"{action}.json")
    model = documented.model_class(action)
    if model is not None:
        parse(model, raw, where=f"{action}.json")
