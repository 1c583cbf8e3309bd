"""Blob/copy (RFC 8620 section 6.3) through the engine, on a real SQLite store with real blob
files: what is copied, what is not and why, and that a refused call writes nothing."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pytest

from satchel.core import engine
from satchel.core.context import RequestContext
from satchel.core.core_methods import register_core
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.core.request import request_from_object
from satchel.store.base import Account, Store, User

MakeContext = Callable[..., RequestContext]
CORE = "urn:ietf:params:jmap:core"


def core_registry() -> Registry:
    registry = Registry()
    register_core(registry, CoreLimits())
    return registry


def upload(store: Store, account: Account, data: bytes, expires_in: float = 3600) -> str:
    blob_id = store.blobs.put(data)
    store.write_sync(
        account.id,
        lambda txn: txn.add_blob(blob_id, len(data), "text/plain", time.time() + expires_in),
    )
    return blob_id


@pytest.fixture
def bob(store: Store) -> Account:
    """Bob's account, shared with alice (writable unless a test makes it read-only)."""
    user, _ = store.write_sync("", lambda txn: txn.create_user("bob@example.com", "x", None))
    account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]
    return dataclasses.replace(account, is_personal=False)


async def blob_copy(ctx: RequestContext, args: dict[str, Any]) -> list[Any]:
    request = request_from_object(
        {"using": [CORE], "methodCalls": [["Blob/copy", args, "c1"]]}, CoreLimits()
    )
    response = await engine.process(ctx, request)
    [answer] = response["methodResponses"]
    assert answer[2] == "c1"
    return list(answer[:2])


async def test_copies_blobs_into_the_target_account(
    store: Store, alice: tuple[User, Account], bob: Account, make_ctx: MakeContext
) -> None:
    _, mine = alice
    blob_id = upload(store, mine, b"hello, bob")
    assert store.read_sync(lambda txn: txn.blob_info(bob.id, blob_id)) is None

    ctx = make_ctx(core_registry(), [bob])
    name, args = await blob_copy(
        ctx, {"fromAccountId": mine.id, "accountId": bob.id, "blobIds": [blob_id]}
    )
    assert name == "Blob/copy"
    assert args == {
        "fromAccountId": mine.id,
        "accountId": bob.id,
        "copied": {blob_id: blob_id},
        "notCopied": None,
    }
    info = store.read_sync(lambda txn: txn.blob_info(bob.id, blob_id))
    assert info is not None
    assert (info.size, info.type) == (len(b"hello, bob"), "text/plain")
    # Unreferenced in its new account, the copy expires like an upload would.
    assert info.expires_at is not None and info.expires_at > time.time()
    assert store.blobs.open(blob_id) == b"hello, bob"


async def test_unknown_blobs_are_not_copied_and_the_others_are(
    store: Store, alice: tuple[User, Account], bob: Account, make_ctx: MakeContext
) -> None:
    _, mine = alice
    good = upload(store, mine, b"good")
    bobs_own = upload(store, bob, b"only bob has this")
    expired = upload(store, mine, b"expired", expires_in=-10)
    collected = upload(store, mine, b"bytes already collected")
    store.blobs.delete(collected)
    ctx = make_ctx(core_registry(), [bob])
    _, args = await blob_copy(
        ctx,
        {
            "fromAccountId": mine.id,
            "accountId": bob.id,
            "blobIds": [good, "Gnope", bobs_own, expired, collected, good],
        },
    )
    assert args["copied"] == {good: good}
    assert set(args["notCopied"]) == {"Gnope", bobs_own, expired, collected}
    # RFC 8620 section 6.3: a blob that cannot be found is a `notFound` SetError.
    assert {error["type"] for error in args["notCopied"].values()} == {"notFound"}
    assert store.read_sync(lambda txn: txn.blob_info(bob.id, collected)) is None


async def test_nothing_found_gives_null_copied(
    alice: tuple[User, Account], bob: Account, make_ctx: MakeContext
) -> None:
    _, mine = alice
    ctx = make_ctx(core_registry(), [bob])
    _, args = await blob_copy(
        ctx, {"fromAccountId": mine.id, "accountId": bob.id, "blobIds": ["Gmissing"]}
    )
    assert args["copied"] is None
    assert args["notCopied"]["Gmissing"]["type"] == "notFound"
    _, empty = await blob_copy(ctx, {"fromAccountId": mine.id, "accountId": bob.id, "blobIds": []})
    assert (empty["copied"], empty["notCopied"]) == (None, None)


async def test_accounts_must_be_visible_and_the_target_writable(
    store: Store, alice: tuple[User, Account], bob: Account, make_ctx: MakeContext
) -> None:
    _, mine = alice
    blob_id = upload(store, mine, b"data")
    # Bob's account exists but is not visible to alice in this context.
    ctx = make_ctx(core_registry())
    for args, error in [
        ({"fromAccountId": bob.id, "accountId": mine.id}, "fromAccountNotFound"),
        ({"fromAccountId": mine.id, "accountId": bob.id}, "accountNotFound"),
    ]:
        name, answer = await blob_copy(ctx, {**args, "blobIds": [blob_id]})
        assert (name, answer["type"]) == ("error", error)

    read_only = dataclasses.replace(bob, is_read_only=True)
    ctx = make_ctx(core_registry(), [read_only])
    name, answer = await blob_copy(
        ctx, {"fromAccountId": mine.id, "accountId": bob.id, "blobIds": [blob_id]}
    )
    assert (name, answer["type"]) == ("error", "accountReadOnly")
    assert store.read_sync(lambda txn: txn.blob_info(bob.id, blob_id)) is None


@pytest.mark.parametrize(
    "args",
    [
        {"accountId": "B", "blobIds": []},
        {"fromAccountId": "A", "blobIds": []},
        {"fromAccountId": "A", "accountId": "B"},
        {"fromAccountId": 1, "accountId": "B", "blobIds": []},
        {"fromAccountId": "A", "accountId": None, "blobIds": []},
        {"fromAccountId": "A", "accountId": "B", "blobIds": "Gabc"},
        {"fromAccountId": "A", "accountId": "B", "blobIds": ["Gabc", 5]},
        {"fromAccountId": "A", "accountId": "B", "blobIds": [], "extra": True},
    ],
)
async def test_invalid_arguments(
    alice: tuple[User, Account], bob: Account, make_ctx: MakeContext, args: dict[str, Any]
) -> None:
    _, mine = alice
    ids = {"A": mine.id, "B": bob.id}
    args = {
        key: ids.get(value, value) if isinstance(value, str) else value
        for key, value in args.items()
    }
    name, answer = await blob_copy(make_ctx(core_registry(), [bob]), args)
    assert (name, answer["type"]) == ("error", "invalidArguments")


async def test_blob_copy_needs_the_core_capability(
    alice: tuple[User, Account], bob: Account, make_ctx: MakeContext
) -> None:
    _, mine = alice
    request = request_from_object(
        {
            "using": [],
            "methodCalls": [
                ["Blob/copy", {"fromAccountId": mine.id, "accountId": bob.id, "blobIds": []}, "c"]
            ],
        },
        CoreLimits(),
    )
    response = await engine.process(make_ctx(core_registry(), [bob]), request)
    assert response["methodResponses"][0][1]["type"] == "unknownMethod"
