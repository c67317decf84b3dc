"""Strict checks of an answer against the official SDK's own response model.

The Tea SDKs fill their models without looking at types (`from_map` copies whatever the JSON
holds) and silently drop keys they do not know. So "the SDK deserialized it" proves little on
its own; `conform` makes it prove something: every value has the type the model declares, every
key of the answer is a field of the model (same wire name), and the model writes back exactly
the JSON it read. `require` checks that the documented fields are present at all. Neither
sends anything anywhere.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from darabonba.model import DaraModel

_LIST = re.compile(r"^List\[(.*)\]$")
_DICT = re.compile(r"^Dict\[str, (.*)\]$")
_MODEL = re.compile(r"^main_models\.(\w+)$")


def conform(model: DaraModel, raw: Any, where: str = "body") -> None:
    """Asserts that `model` (filled by the SDK from `raw`) holds `raw` exactly, with the
    SDK's declared types and wire names."""
    problems: list[str] = []
    _check_types(model, where, problems)
    _diff(raw, model.to_map(), where, problems)
    assert not problems, "answer does not match the SDK model:\n  " + "\n  ".join(problems)


def parse(model_cls: type[DaraModel], raw: Any, where: str = "body") -> DaraModel:
    """Fills `model_cls` from `raw` the way the SDK does, then applies `conform`."""
    model = model_cls().from_map(raw)
    conform(model, raw, where)
    return model


def require(raw: Any, spec: tuple, where: str = "body") -> None:
    """Asserts that `raw` has every field named by `spec`.

    A spec is a tuple of items: a name (the key must be present and not null), or a dict
    `{name: spec}` (an object holding `spec`), or `{name: [spec]}` (a list each of whose items
    holds `spec`; the list may be empty).
    """
    problems: list[str] = []
    _require(raw, spec, where, problems)
    assert not problems, "documented fields missing:\n  " + "\n  ".join(problems)


def _require(raw: Any, spec: tuple, where: str, problems: list[str]) -> None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected an object, found {type(raw).__name__}")
        return
    for item in spec:
        if isinstance(item, str):
            if raw.get(item) is None:
                problems.append(f"{where}.{item}: missing")
            continue
        for name, inner in item.items():
            value = raw.get(name)
            if value is None:
                problems.append(f"{where}.{name}: missing")
            elif isinstance(inner, list):
                if not isinstance(value, list):
                    problems.append(f"{where}.{name}: expected a list")
                    continue
                for i, element in enumerate(value):
                    _require(element, inner[0], f"{where}.{name}[{i}]", problems)
            else:
                _require(value, inner, f"{where}.{name}", problems)


def _check_types(model: DaraModel, where: str, problems: list[str]) -> None:
    params = inspect.signature(type(model).__init__).parameters.values()
    for param in params:
        if param.name == "self":
            continue
        value = getattr(model, param.name, None)
        if value is not None:
            _check_value(value, str(param.annotation), f"{where}.{param.name}", problems)


def _check_value(value: Any, annotation: str, where: str, problems: list[str]) -> None:
    def wrong(expected: str) -> None:
        problems.append(
            f"{where}: the SDK declares {expected}, the answer has "
            f"{type(value).__name__} {value!r}"
        )

    if annotation == "Any":
        return
    if annotation == "str":
        if not isinstance(value, str):
            wrong("str")
    elif annotation == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            wrong("int")
    elif annotation == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            wrong("float")
    elif annotation == "bool":
        if not isinstance(value, bool):
            wrong("bool")
    elif m := _LIST.match(annotation):
        if not isinstance(value, list):
            wrong(annotation)
        else:
            for i, item in enumerate(value):
                _check_value(item, m.group(1), f"{where}[{i}]", problems)
    elif m := _DICT.match(annotation):
        if not isinstance(value, dict):
            wrong(annotation)
        else:
            for key, item in value.items():
                _check_value(item, m.group(1), f"{where}[{key!r}]", problems)
    elif _MODEL.match(annotation):
        if not isinstance(value, DaraModel):
            wrong(annotation)
        else:
            _check_types(value, where, problems)
    else:
        problems.append(f"{where}: annotation {annotation!r} is not understood by sdkcheck")


def _diff(raw: Any, written: Any, where: str, problems: list[str]) -> None:
    """Differences between the answer and what the model writes back (bool is not int)."""
    if isinstance(raw, dict) and isinstance(written, dict):
        for key in raw.keys() - written.keys():
            if raw[key] is not None:
                problems.append(f"{where}.{key}: not a field of the SDK model")
        for key in written.keys() - raw.keys():
            problems.append(f"{where}.{key}: written back by the model but not in the answer")
        for key in raw.keys() & written.keys():
            _diff(raw[key], written[key], f"{where}.{key}", problems)
    elif isinstance(raw, list) and isinstance(written, list):
        if len(raw) != len(written):
            problems.append(f"{where}: {len(raw)} items in the answer, {len(written)} in the model")
        for i, (a, b) in enumerate(zip(raw, written)):
            _diff(a, b, f"{where}[{i}]", problems)
    elif type(raw) is not type(written) or raw != written:
        problems.append(f"{where}: answer {raw!r}, model {written!r}")
