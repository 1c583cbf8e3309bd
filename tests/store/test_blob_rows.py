"""Per-account blob rows: visibility, reference counts, expiry of unreferenced uploads
(RFC 8620 section 6.1) and collection of files no account refers to any more."""

from __future__ import annotations

import os
import time

import pytest

from satchel.store.base import BlobInfo, BlobMissing, BlobNotFound, Store, WriteTxn
from satchel.store.blobs import expire_and_collect, gc_blob_files, sweep_blob_files

HOUR = 3600.0


def info(store: Store, account_id: str, blob_id: str) -> BlobInfo | None:
    return store.read_sync(lambda txn: txn.blob_info(account_id, blob_id))


def upload(store: Store, account_id: str, data: bytes, expires_at: float | None) -> str:
    blob_id = store.blobs.put(data)
    store.write_sync(
        account_id, lambda txn: txn.add_blob(blob_id, len(data), "text/plain", expires_at)
    )
    return blob_id


def make_old(store: Store, blob_id: str) -> None:
    """Age a file past the collection grace period (as if uploaded long ago)."""
    path = store.blobs.path(blob_id)
    assert path is not None
    os.utime(path, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))


def test_an_upload_is_visible_to_its_account_only(
    store: Store, account_id: str, other_account_id: str
) -> None:
    now = time.time()
    blob_id = upload(store, account_id, b"hello", now + HOUR)
    got = info(store, account_id, blob_id)
    assert got is not None
    assert (got.blob_id, got.size, got.type, got.refcount) == (blob_id, 5, "text/plain", 0)
    assert got.expires_at == now + HOUR
    assert abs(got.uploaded_at - now) < 60
    assert info(store, other_account_id, blob_id) is None


def test_add_blob_needs_the_file(store: Store, account_id: str) -> None:
    missing = "G" + "0" * 64
    with pytest.raises(BlobMissing):
        store.write_sync(account_id, lambda txn: txn.add_blob(missing, 1, "a/b", None))
    assert info(store, account_id, missing) is None


def test_add_blob_is_idempotent_and_never_shortens(store: Store, account_id: str) -> None:
    now = time.time()
    blob_id = upload(store, account_id, b"x", now + HOUR)
    store.write_sync(account_id, lambda txn: txn.ref_blob(blob_id, 2))
    store.write_sync(account_id, lambda txn: txn.add_blob(blob_id, 1, "text/plain", now + 2 * HOUR))
    got = info(store, account_id, blob_id)
    assert got is not None and (got.refcount, got.expires_at) == (2, now + 2 * HOUR)
    store.write_sync(account_id, lambda txn: txn.add_blob(blob_id, 1, "text/plain", now + 1))
    got = info(store, account_id, blob_id)
    assert got is not None and got.expires_at == now + 2 * HOUR, "an earlier expiry is ignored"
    store.write_sync(account_id, lambda txn: txn.add_blob(blob_id, 1, "text/plain", None))
    store.write_sync(account_id, lambda txn: txn.add_blob(blob_id, 1, "text/plain", now + 1))
    got = info(store, account_id, blob_id)
    assert got is not None and got.expires_at is None, "non-expiring stays non-expiring"


def test_blob_rows_do_not_change_jmap_state(store: Store, account_id: str) -> None:
    blob_id = store.blobs.put(b"x")
    _, commit = store.write_sync(account_id, lambda txn: txn.add_blob(blob_id, 1, "a/b", None))
    assert commit.changed_types == set() and commit.modseq == 0


def test_ref_blob_errors_roll_back(store: Store, account_id: str, other_account_id: str) -> None:
    blob_id = upload(store, account_id, b"x", None)
    with pytest.raises(BlobNotFound):
        store.write_sync(other_account_id, lambda txn: txn.ref_blob(blob_id, 1))

    def below_zero(txn: WriteTxn) -> None:
        txn.ref_blob(blob_id, 1)
        txn.ref_blob(blob_id, -2)

    with pytest.raises(ValueError):
        store.write_sync(account_id, below_zero)
    got = info(store, account_id, blob_id)
    assert got is not None and got.refcount == 0


@pytest.mark.parametrize(
    ("expires_in", "refs", "expired"),
    [
        (-1.0, 0, True),  # unreferenced upload past expiry
        (HOUR, 0, False),  # not yet
        (-1.0, 1, False),  # referenced by a record: never expires
        (None, 0, False),  # non-expiring row
    ],
)
def test_expiry(
    store: Store, account_id: str, expires_in: float | None, refs: int, expired: bool
) -> None:
    now = time.time()
    blob_id = upload(store, account_id, b"upload", None if expires_in is None else now + expires_in)
    if refs:
        store.write_sync(account_id, lambda txn: txn.ref_blob(blob_id, refs))
    orphans, _ = store.write_sync("", lambda txn: txn.expire_blobs(now))
    assert orphans == ([blob_id] if expired else [])
    assert (info(store, account_id, blob_id) is None) == expired


def test_a_dereferenced_blob_expires(store: Store, account_id: str) -> None:
    blob_id = upload(store, account_id, b"attachment", None)
    store.write_sync(account_id, lambda txn: txn.ref_blob(blob_id, 1))
    store.write_sync(account_id, lambda txn: txn.ref_blob(blob_id, -1))
    orphans, _ = store.write_sync("", lambda txn: txn.expire_blobs(time.time() + 1))
    assert orphans == [blob_id]


def test_a_blob_shared_by_accounts_outlives_one_expiry(
    store: Store, account_id: str, other_account_id: str
) -> None:
    now = time.time()
    blob_id = upload(store, account_id, b"shared", now - 1)
    assert upload(store, other_account_id, b"shared", now + HOUR) == blob_id
    orphans, _ = store.write_sync("", lambda txn: txn.expire_blobs(now))
    assert orphans == [], "the other account still holds it"
    assert info(store, account_id, blob_id) is None
    assert info(store, other_account_id, blob_id) is not None


async def test_expire_and_collect_deletes_unreferenced_files(
    store: Store, account_id: str, other_account_id: str
) -> None:
    now = time.time()
    gone = upload(store, account_id, b"gone", now - 1)
    kept = upload(store, account_id, b"kept", now - 1)
    upload(store, other_account_id, b"kept", None)
    for blob_id in (gone, kept):
        make_old(store, blob_id)
    assert await expire_and_collect(store, now) == [gone]
    assert not store.blobs.exists(gone)
    assert store.blobs.exists(kept)
    with pytest.raises(BlobMissing):
        store.write_sync(account_id, lambda txn: txn.add_blob(gone, 4, "a/b", None))


async def test_young_files_are_spared(store: Store, account_id: str) -> None:
    """An upload may have written its bytes and not yet its row: collection waits."""
    blob_id = store.blobs.put(b"just written")
    assert await gc_blob_files(store, [blob_id]) == []
    assert store.blobs.exists(blob_id)
    assert await gc_blob_files(store, [blob_id], grace_seconds=0) == [blob_id]
    assert not store.blobs.exists(blob_id)


async def test_sweep_collects_files_of_deleted_users(
    store: Store, account_id: str, other_account_id: str
) -> None:
    mine = upload(store, account_id, b"mine", None)
    theirs = upload(store, other_account_id, b"theirs", None)
    for blob_id in (mine, theirs):
        make_old(store, blob_id)
    user = store.read_sync(lambda txn: txn.user_by_name("alice"))
    assert user is not None
    store.write_sync("", lambda txn: txn.delete_user(user.id))
    assert await sweep_blob_files(store) == [mine]
    assert list(store.blobs.all_ids()) == [theirs]
