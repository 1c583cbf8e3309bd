"""register_type: a declared DataType becomes Foo/get ... Foo/queryChanges in the registry."""

from __future__ import annotations

import dataclasses

import pytest
from jmap_client import Jmap
from note_type import NOTE, NOTES

from satchel.core.registry import Capability, Registry
from satchel.core.standard.register import register_type


def test_every_standard_method_is_registered() -> None:
    registry = Registry()
    register_type(registry, NOTE)
    assert sorted(registry.methods) == [
        "Note/changes",
        "Note/copy",
        "Note/get",
        "Note/query",
        "Note/queryChanges",
        "Note/set",
    ]
    assert all(spec.capability == NOTES for spec in registry.methods.values())
    assert registry.data_types["Note"] is NOTE


def test_a_type_gets_only_the_methods_it_declares() -> None:
    registry = Registry()
    register_type(registry, dataclasses.replace(NOTE, methods=frozenset({"get", "set"})))
    assert sorted(registry.methods) == ["Note/get", "Note/set"]


def test_registering_a_type_twice_is_refused() -> None:
    registry = Registry()
    register_type(registry, NOTE)
    with pytest.raises(ValueError):
        register_type(registry, NOTE)


async def test_method_the_type_lacks_is_unknown_method(jmap: Jmap) -> None:
    jmap.registry = Registry()
    jmap.registry.add_capability(Capability(NOTES))
    register_type(jmap.registry, dataclasses.replace(NOTE, methods=frozenset({"get"})))
    assert (await jmap.error("Note/query"))["type"] == "unknownMethod"
    assert (await jmap.ok("Note/get", ids=None))["list"] == []


async def test_account_without_the_capability_is_account_not_supported(jmap: Jmap) -> None:
    bob = jmap.accounts[1]
    jmap.registry.capabilities[NOTES] = Capability(
        NOTES, account_value=lambda account: None if account.id == bob.id else {}
    )
    for method in ("Note/get", "Note/query", "Note/set"):
        error = await jmap.error(method, accountId=bob.id)
        assert error["type"] == "accountNotSupportedByMethod", method
    error = await jmap.error("Note/changes", accountId=bob.id, sinceState="x")
    assert error["type"] == "accountNotSupportedByMethod"
    error = await jmap.error(
        "Note/copy", fromAccountId=bob.id, accountId=jmap.account_id, create={}
    )
    assert error["type"] == "fromAccountNotSupportedByMethod"
