"""Content-addressed blob files: ids from sha-256, deduplication, streaming with a size limit,
strict id validation (no path traversal), no temporary file left behind on any failure."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.store.base import BlobTooLarge
from satchel.store.blobs import FsBlobFiles, is_blob_id


@pytest.fixture
def files(tmp_path: Path) -> FsBlobFiles:
    return FsBlobFiles(tmp_path / "blobs")


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_stores_under_the_content_hash(files: FsBlobFiles) -> None:
    data = b"Hello, JMAP\r\n"
    blob_id = files.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert blob_id == "G" + digest
    assert files.open(blob_id) == data
    assert files.exists(blob_id)
    assert files.path(blob_id) == str(files.root / digest[:2] / digest[2:4] / blob_id)
    assert list(files.all_ids()) == [blob_id]


def test_same_bytes_same_file(files: FsBlobFiles) -> None:
    first = files.put(b"same")
    second = files.put(b"same")
    streamed, size = files.put_stream(iter([b"sa", b"me"]), max_size=10)
    assert first == second == streamed and size == 4
    assert len(all_files(files.root)) == 1


def test_empty_blob(files: FsBlobFiles) -> None:
    blob_id, size = files.put_stream(iter([]), max_size=0)
    assert size == 0 and files.open(blob_id) == b""
    assert blob_id == files.put(b"")


def test_stream_matches_put(files: FsBlobFiles) -> None:
    chunks = [bytes([i]) * 1000 for i in range(50)]
    blob_id, size = files.put_stream(iter(chunks), max_size=50_000)
    assert (blob_id, size) == (files.put(b"".join(chunks)), 50_000)
    assert files.open(blob_id) == b"".join(chunks)


def test_stream_over_the_limit_keeps_nothing(files: FsBlobFiles) -> None:
    with pytest.raises(BlobTooLarge):
        files.put_stream(iter([b"x" * 600, b"x" * 600]), max_size=1000)
    assert all_files(files.root) == []


def test_a_failing_stream_keeps_nothing(files: FsBlobFiles) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        files.put_stream(chunks(), max_size=1000)
    assert all_files(files.root) == []


BAD_IDS = [
    "",
    "G",
    "../../etc/passwd",
    "G" + "0" * 63,
    "G" + "0" * 65,
    "G" + "A" * 64,  # hex must be lowercase
    "g" + "0" * 64,
    "G" + "0" * 64 + "\n",
    "G" + "0" * 62 + "/.",
    "G../" + "0" * 61,
    "/G" + "0" * 64,
    "G" + "0" * 63 + "\x00",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_never_reach_the_filesystem(files: FsBlobFiles, bad: str) -> None:
    assert not is_blob_id(bad)
    assert files.open(bad) is None
    assert files.path(bad) is None
    assert files.exists(bad) is False
    assert files.age(bad) is None
    with pytest.raises(ValueError):
        files.delete(bad)


def test_a_well_formed_unknown_id_is_missing(files: FsBlobFiles) -> None:
    unknown = "G" + "ab" * 32
    assert files.open(unknown) is None and files.path(unknown) is None
    assert not files.exists(unknown)
    files.delete(unknown)  # deleting a missing blob is not an error


def test_delete_and_all_ids(files: FsBlobFiles) -> None:
    ids = sorted(files.put(bytes([i])) for i in range(5))
    assert sorted(files.all_ids()) == ids
    files.delete(ids[0])
    assert not files.exists(ids[0])
    assert sorted(files.all_ids()) == ids[1:]


def test_put_again_refreshes_the_age(files: FsBlobFiles) -> None:
    import os

    blob_id = files.put(b"old upload")
    path = files.path(blob_id)
    assert path is not None
    os.utime(path, (1_000_000, 1_000_000))
    age = files.age(blob_id)
    assert age is not None and age > 3600
    files.put(b"old upload")
    age = files.age(blob_id)
    assert age is not None and age < 60


def test_stale_temporary_files_are_removed_at_open(tmp_path: Path) -> None:
    import os

    FsBlobFiles(tmp_path / "blobs")
    stale = tmp_path / "blobs" / "tmp" / ".tmp-crashed"
    fresh = tmp_path / "blobs" / "tmp" / ".tmp-running"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"an upload in progress")
    os.utime(stale, (1_000_000, 1_000_000))
    FsBlobFiles(tmp_path / "blobs")
    assert not stale.exists() and fresh.exists()
