"""Blob bytes on the local filesystem, content-addressed by sha-256 (RFC 8620 section 6).

A blob id is "G" followed by the 64 lowercase hex digits of the content's sha-256 (an Id must
start with a letter, RFC 8620 section 1.2), stored at `blobs/ab/cd/<id>`. Same bytes, same file:
uploads are deduplicated across accounts. Files are written to a temporary name, fsynced, renamed
into place and their directory fsynced, so a file exists whole or not at all *before* any row
names it. Ids are validated strictly before any path is built: no traversal, no surprises.

Which account may see a blob, and for how long, is in the database (`WriteTxn.add_blob`,
`ref_blob`, `expire_blobs`); `gc_blob_files` deletes files once no row refers to them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from satchel.store.base import BlobTooLarge, Store, WriteTxn

_BLOB_ID = re.compile(r"G[0-9a-f]{64}")
_TMP_PREFIX = ".tmp-"
# A file touched (written or re-put) this recently is never collected: an upload may be between
# writing its bytes and adding its row.
DEFAULT_GC_GRACE_SECONDS = 300.0
STALE_TEMP_SECONDS = 24 * 3600.0


def is_blob_id(blob_id: object) -> bool:
    """True for a well-formed blob id ("G" + 64 lowercase hex digits), nothing else."""
    return isinstance(blob_id, str) and _BLOB_ID.fullmatch(blob_id) is not None


def blob_id_for(data: bytes) -> str:
    return "G" + hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FsBlobFiles:
    """`BlobFiles` on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp_files()

    def _remove_stale_temp_files(self) -> None:
        """Streams cut short by a crash leave files in `tmp/`; none of them is a day old while
        its upload is still running, so older ones can go."""
        cutoff = time.time() - STALE_TEMP_SECONDS
        for entry in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.name.startswith(_TMP_PREFIX) and entry.stat().st_mtime < cutoff:
                    entry.unlink()

    # --- paths --------------------------------------------------------------------------------
    def _file(self, blob_id: str) -> Path | None:
        if not is_blob_id(blob_id):
            return None
        return self.root / blob_id[1:3] / blob_id[3:5] / blob_id

    def _ensure_dir(self, blob_id: str) -> Path:
        outer = self.root / blob_id[1:3]
        inner = outer / blob_id[3:5]
        if not inner.is_dir():
            for directory, parent in ((outer, self.root), (inner, outer)):
                if not directory.is_dir():
                    directory.mkdir(exist_ok=True)
                    _fsync_dir(parent)  # the new directory entry must survive a crash too
        return inner

    # --- writing ------------------------------------------------------------------------------
    def put(self, data: bytes) -> str:
        blob_id = blob_id_for(data)
        target = self._file(blob_id)
        assert target is not None
        if self._touch(target):
            return blob_id
        directory = self._ensure_dir(blob_id)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(directory)
        return blob_id

    def put_stream(self, chunks: Iterable[bytes], max_size: int) -> tuple[str, int]:
        """Hash while writing to `blobs/tmp/`; the name is known only at the end, then the file
        is renamed into place (same filesystem). Past `max_size`: BlobTooLarge, nothing kept."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise BlobTooLarge(f"blob larger than {max_size} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            blob_id = "G" + digest.hexdigest()
            target = self._file(blob_id)
            assert target is not None
            if self._touch(target):
                os.unlink(tmp_name)
                return blob_id, size
            directory = self._ensure_dir(blob_id)
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(directory)
        return blob_id, size

    @staticmethod
    def _touch(target: Path) -> bool:
        """Refresh an existing file's mtime (so collection spares it); False if it is absent."""
        try:
            os.utime(target)
        except FileNotFoundError:
            return False
        return True

    # --- reading ------------------------------------------------------------------------------
    def open(self, blob_id: str) -> bytes | None:
        target = self._file(blob_id)
        if target is None:
            return None
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None

    def path(self, blob_id: str) -> str | None:
        target = self._file(blob_id)
        if target is None or not target.is_file():
            return None
        return str(target)

    def exists(self, blob_id: str) -> bool:
        target = self._file(blob_id)
        return target is not None and target.is_file()

    def delete(self, blob_id: str) -> None:
        target = self._file(blob_id)
        if target is None:
            raise ValueError(f"not a blob id: {blob_id!r}")
        with contextlib.suppress(FileNotFoundError):
            target.unlink()

    def age(self, blob_id: str) -> float | None:
        """Seconds since the file was last written or re-put; None if absent."""
        target = self._file(blob_id)
        if target is None:
            return None
        try:
            return time.time() - target.stat().st_mtime
        except FileNotFoundError:
            return None

    def all_ids(self) -> Iterator[str]:
        for outer in sorted(self.root.iterdir()):
            if len(outer.name) != 2 or not outer.is_dir():
                continue
            for inner in sorted(outer.iterdir()):
                if not inner.is_dir():
                    continue
                for entry in sorted(inner.iterdir()):
                    if is_blob_id(entry.name):
                        yield entry.name


async def gc_blob_files(
    store: Store, blob_ids: Sequence[str], grace_seconds: float = DEFAULT_GC_GRACE_SECONDS
) -> list[str]:
    """Delete the files of these blobs if no account row names them any more and nobody wrote
    them in the last `grace_seconds`. Returns the ids deleted.

    Runs inside a write transaction, so no other writer can add a row meanwhile; an upload that
    re-put the same bytes refreshed the mtime and is spared, and `add_blob` checks the file
    exists, so a row never points at a collected file.
    """
    if not blob_ids:
        return []
    files = store.blobs

    def collect(txn: WriteTxn) -> list[str]:
        deleted: list[str] = []
        for blob_id in txn.unreferenced_blobs(blob_ids):
            age = files.age(blob_id)
            if age is not None and age >= grace_seconds:
                files.delete(blob_id)
                deleted.append(blob_id)
        return deleted

    deleted, _ = await store.write("", collect)
    return deleted


async def expire_and_collect(
    store: Store, now: float | None = None, grace_seconds: float = DEFAULT_GC_GRACE_SECONDS
) -> list[str]:
    """Drop expired unreferenced upload rows (RFC 8620 section 6.1), then collect the files no
    account refers to. Returns the blob ids whose files were deleted."""
    when = time.time() if now is None else now
    orphans, _ = await store.write("", lambda txn: txn.expire_blobs(when))
    return await gc_blob_files(store, orphans, grace_seconds)


async def sweep_blob_files(
    store: Store, grace_seconds: float = DEFAULT_GC_GRACE_SECONDS
) -> list[str]:
    """Collect every file no account row names (after `delete_user`, or a crash between
    writing a file and adding its row). For maintenance commands; walks the whole tree."""
    return await gc_blob_files(store, list(store.blobs.all_ids()), grace_seconds)
