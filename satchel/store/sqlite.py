"""The embedded store: one SQLite file (`DATA/satchel.db`) plus content-addressed blob files.

Threading (DESIGN.md, seam 2): a transaction is one synchronous function, so it costs one thread
hop. All writes go to one dedicated writer thread with its own connection (`sqlite_writer.py`),
inside `BEGIN IMMEDIATE ... COMMIT`; writers in *other processes* sharing the file wait their turn
on an flock beside it (and BEGIN IMMEDIATE still refuses to let two write at once). Reads run on
a small pool of reader threads, each with its own connection, each read function inside one
`BEGIN` so it sees a single snapshot (WAL lets readers and the writer proceed together).

Durability: "acknowledged means durable". In WAL mode `synchronous=NORMAL` may lose the last
commits on power loss (the WAL is fsynced only at checkpoints); `synchronous=FULL` fsyncs the WAL
at every commit, so a committed /set survives a crash. We pay that fsync once per group of
writes that queued up together (the writer commits them as one transaction, each in its own
savepoint), and nobody is answered before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

from satchel.store.base import (
    Account,
    AccountNotFound,
    BlobFiles,
    BlobInfo,
    BlobMissing,
    BlobNotFound,
    Changes,
    CommitResult,
    JsonObject,
    ReadTxn,
    Record,
    RecordExists,
    RecordNotFound,
    StoreError,
    Token,
    TypeState,
    User,
    UserExists,
    UserNotFound,
    WriteTxn,
)
from satchel.store.blobs import FsBlobFiles
from satchel.store.changelog import check_since, classify
from satchel.store.mail_text import header_contains
from satchel.store.migrate import migrate, read_version
from satchel.store.on_loop import on_loop_allowed
from satchel.store.sqlite_addresses import SqliteAddressRead, SqliteAddressWrite
from satchel.store.sqlite_email_record import (
    EMAIL,
    EMAIL_RECORDS_SELECT,
    RECORDS_SELECT,
    stored_email,
    with_flags,
)
from satchel.store.sqlite_mail import SqliteMailRead, SqliteMailWrite
from satchel.store.sqlite_outbound import SqliteOutboundRead, SqliteOutboundWrite
from satchel.store.sqlite_push import SqlitePushRead, SqlitePushWrite
from satchel.store.sqlite_readers import ReaderPool
from satchel.store.sqlite_senders import SqliteSenderRead, SqliteSenderWrite
from satchel.store.sqlite_vacation import SqliteVacationWrite
from satchel.store.sqlite_writer import GroupCommitWriter
from satchel.store.state_memo import StateMemo

T = TypeVar("T")

DB_FILE = "satchel.db"
BLOB_DIR = "blobs"
BUSY_TIMEOUT_MS = 15_000
# An account's modseq: the highest of its type states (every commit moves the row of each type
# it changed to its modseq); no row when there is no such account.
_ACCOUNT_MODSEQ_SQL = (
    "SELECT COALESCE((SELECT MAX(high) FROM type_states WHERE account_id = ?1), 0)"
    " FROM accounts WHERE id = ?1"
)
# Results `read_directory_memo` keeps per thread while the directory is unchanged.
MEMO_ENTRIES = 1024


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


# Reader threads: more than the CPUs the process may use only contend (for the GIL, each of them
# dropping and taking it back around every SQLite step): query_get at 8 clients on 2 CPUs cost
# ~4.1 server cpu-ms/req with 4 readers, ~2.5 with 2. At least 2, so one slow read never
# holds up all the others.
DEFAULT_READERS = max(2, min(4, _usable_cpus()))
# Records whose decoded data the readers keep (see DecodedCache).
DECODED_CACHE_SIZE = 1024
# Values readers keep by (account, type) state (see state_memo.py): one per active account.
STATE_MEMO_SIZE = 1024

_LETTERS = string.ascii_letters
_ALNUM = string.ascii_letters + string.digits


def new_id() -> str:
    """A short random id: a letter then 11 letters or digits (~66 bits).

    RFC 8620 section 1.2: ids use the URL-safe base64 alphabet and SHOULD NOT start with a dash or
    a digit, contain "--" or be "NIL"; starting with a letter and using no dash avoids all that.
    """
    raw = secrets.token_bytes(12)
    return _LETTERS[raw[0] % 52] + "".join(_ALNUM[b % 62] for b in raw[1:])


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False: a connection
    # is created on one thread and then used only by the thread it belongs to.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.create_function("header_contains", 3, header_contains, deterministic=True)
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (persistent). Another process may hold a lock while it creates
    the database; the busy handler does not always cover this pragma, so retry briefly."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
            continue
        if str(mode).lower() != "wal":
            raise StoreError(f"could not switch {DB_FILE} to WAL mode (got {mode!r})")
        return


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the database write lock, waiting for writers in other processes.

    The writer connection has no busy timeout: SQLite's busy handler sleeps in growing steps
    (up to 100 ms), so under contention one process could starve for hundreds of milliseconds
    while another keeps winning. Polling briefly here keeps waits short and fair enough. Once
    BEGIN IMMEDIATE succeeds, WAL mode lets nothing else block this transaction.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.0002
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            if time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 1.5, 0.002)


def _json_list(values: Sequence[str]) -> bytes:
    return orjson.dumps(list(values))


class DecodedCache(StateMemo):
    """Decoded `data` of recently read records, shared between reader threads, so a /get of
    the same records again (an Inbox page, polled) skips JSON decoding, the bulk of its cost.

    An entry is reused only when the stored bytes are identical to those it was decoded from,
    so it can never be stale, whoever wrote the row. The values are shared: only callers that
    never mutate `Record.data` (or anything inside it) may ask for them (`shared=True`)."""

    def decode(self, account_id: str, type_name: str, record_id: str, raw: bytes) -> JsonObject:
        data: JsonObject = self.get((account_id, type_name, record_id), raw, orjson.loads, raw)
        return data


def _user(row: tuple[Any, ...]) -> User:
    return User(id=row[0], username=row[1], password_hash=row[2], email=row[3])


_USER_COLUMNS = "u.id, u.username, u.password_hash, u.email"


class SqliteRead(
    SqliteAddressRead, SqliteOutboundRead, SqlitePushRead, SqliteSenderRead, SqliteMailRead
):
    """`ReadTxn` over one connection already inside a transaction."""

    __slots__ = ("_conn", "_decoded", "_memo")

    def __init__(
        self,
        conn: sqlite3.Connection,
        decoded: DecodedCache | None = None,
        memo: StateMemo | None = None,
    ) -> None:
        self._conn = conn
        self._decoded = decoded
        self._memo = memo  # None in a write transaction (see state_memo.py)

    # --- JMAP records -------------------------------------------------------------------------
    def get_records(
        self, account_id: str, type_name: str, ids: Sequence[str] | None, *, shared: bool = False
    ) -> list[Record]:
        email = type_name == EMAIL
        select = EMAIL_RECORDS_SELECT if email else RECORDS_SELECT
        cache = self._decoded if shared else None

        def decode(r: Any) -> Record:
            if cache is None:
                data = orjson.loads(r[1])
            else:
                data = cache.decode(account_id, type_name, r[0], r[1])
            if email:  # a shared (cached) decoding is copied, a fresh one completed in place
                data = with_flags(data, r, in_place=cache is None)
            return Record(r[0], data, r[2], r[3])

        if ids is None:
            rows = self._conn.execute(select + " ORDER BY r.id", (account_id, type_name))
            return [decode(r) for r in rows]
        wanted = list(dict.fromkeys(ids))  # in request order, each once
        if not wanted:
            return []
        if len(wanted) == 1:
            rows = self._conn.execute(select + " AND r.id = ?", (account_id, type_name, wanted[0]))
        else:
            # One statement for any number of ids: the list travels as one JSON parameter.
            rows = self._conn.execute(
                select + " AND r.id IN (SELECT value FROM json_each(?))",
                (account_id, type_name, _json_list(wanted)),
            )
        found = {r[0]: decode(r) for r in rows}
        return [found[i] for i in wanted if i in found]

    def type_state(self, account_id: str, type_name: str) -> TypeState:
        row = self._conn.execute(
            "SELECT high, low FROM type_states WHERE account_id = ? AND type = ?",
            (account_id, type_name),
        ).fetchone()
        return TypeState(0, 0) if row is None else TypeState(row[0], row[1])

    def by_state(self, key: Hashable, state: int, build: Callable[[], T]) -> T:
        return build() if self._memo is None else self._memo.get(key, state, build)

    def account_modseq(self, account_id: str) -> int:
        row = self._conn.execute(_ACCOUNT_MODSEQ_SQL, (account_id,)).fetchone()
        if row is None:
            raise AccountNotFound(account_id)
        return int(row[0])

    def changes_since(
        self, account_id: str, type_name: str, since_modseq: int, max_changes: int | None
    ) -> Changes:
        # RFC 8620 section 5.2: Foo/changes. Classification rules live in changelog.py.
        state = self.type_state(account_id, type_name)
        check_since(state, since_modseq)
        rows = self._conn.execute(
            "SELECT id, created_modseq, updated_modseq, destroyed_modseq FROM records"
            " WHERE account_id = ? AND type = ? AND updated_modseq > ?"
            " ORDER BY updated_modseq",
            (account_id, type_name, since_modseq),
        )
        return classify(rows, since_modseq, max_changes, state.high)

    # --- blobs --------------------------------------------------------------------------------
    def blob_info(self, account_id: str, blob_id: str) -> BlobInfo | None:
        row = self._conn.execute(
            "SELECT size, type, refcount, uploaded_at, expires_at FROM blobs"
            " WHERE account_id = ? AND blob_id = ?",
            (account_id, blob_id),
        ).fetchone()
        if row is None:
            return None
        return BlobInfo(blob_id, row[0], row[1], row[2], row[3], row[4])

    def unreferenced_blobs(self, blob_ids: Sequence[str]) -> list[str]:
        if not blob_ids:
            return []
        rows = self._conn.execute(
            "SELECT j.value FROM json_each(?) AS j"
            " WHERE NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.blob_id = j.value)",
            (_json_list(list(dict.fromkeys(blob_ids))),),
        )
        return [r[0] for r in rows]

    # --- users, accounts, tokens ----------------------------------------------------------------
    def user_by_name(self, username: str) -> User | None:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.username = ?", (username,)
        ).fetchone()
        return None if row is None else _user(row)

    def user_by_id(self, user_id: str) -> User | None:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.id = ?", (user_id,)
        ).fetchone()
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        rows = self._conn.execute(f"SELECT {_USER_COLUMNS} FROM users AS u ORDER BY u.username")
        return [_user(r) for r in rows]

    def user_by_token(self, token_hash: str) -> User | None:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM tokens AS t JOIN users AS u ON u.id = t.user_id"
            " WHERE t.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return None if row is None else _user(row)

    def tokens_for_user(self, user_id: str) -> list[Token]:
        rows = self._conn.execute(
            "SELECT token_hash, user_id, name, created_at FROM tokens WHERE user_id = ?"
            " ORDER BY created_at, name",
            (user_id,),
        )
        return [Token(r[0], r[1], r[2], r[3]) for r in rows]

    def accounts_for_user(self, user_id: str) -> list[Account]:
        rows = self._conn.execute(
            "SELECT id, name, owner_user_id, is_personal, is_read_only FROM accounts"
            " WHERE owner_user_id = ? ORDER BY is_personal DESC, name",
            (user_id,),
        )
        return [Account(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows]

    def schema_version(self) -> int:
        return read_version(self._conn)


class SqliteWrite(
    SqliteAddressWrite,
    SqliteOutboundWrite,
    SqlitePushWrite,
    SqliteSenderWrite,
    SqliteVacationWrite,
    SqliteRead,
    SqliteMailWrite,
):
    """`WriteTxn`: record changes carry one modseq, allocated lazily and written to the account
    (and to each changed type's state) on the first change, so reads inside the transaction see
    its own writes and a transaction that changes nothing bumps nothing."""

    __slots__ = ("_account_id", "_blobs", "_depth", "_modseq", "changed_types")

    def __init__(self, conn: sqlite3.Connection, account_id: str, blobs: BlobFiles) -> None:
        super().__init__(conn)
        self._account_id = account_id
        self._blobs = blobs
        self._modseq: int | None = None
        self._depth = 0
        self.changed_types: set[str] = set()

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        # The modseq bookkeeping lives partly in Python: restore it with the rows, or a rolled
        # back first change would leave later changes carrying a modseq the account never got.
        saved = (self._modseq, set(self.changed_types))
        name = f"satchel_sp{self._depth}"
        self._depth += 1
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            self._modseq, self.changed_types = saved[0], saved[1]
            raise
        else:
            self._conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    @property
    def account_id(self) -> str:
        return self._account_id

    def _require_account(self) -> str:
        if not self._account_id:
            raise ValueError("this write transaction was opened without an account")
        return self._account_id

    def next_modseq(self) -> int:
        if self._modseq is None:
            self._modseq = self.account_modseq(self._require_account()) + 1
        return self._modseq

    def _changed(self, type_name: str) -> None:
        """Record that `type_name` changed at this transaction's modseq (once per type)."""
        if type_name in self.changed_types:
            return
        modseq = self.next_modseq()
        self._conn.execute(
            "INSERT INTO type_states (account_id, type, high, low) VALUES (?, ?, ?, 0)"
            " ON CONFLICT (account_id, type) DO UPDATE SET high = excluded.high",
            (self._account_id, type_name, modseq),
        )
        self.changed_types.add(type_name)

    def commit_result(self) -> CommitResult:
        if self.changed_types:
            assert self._modseq is not None
            return CommitResult(self._account_id, self._modseq, set(self.changed_types))
        modseq = 0
        if self._account_id:
            row = self._conn.execute(_ACCOUNT_MODSEQ_SQL, (self._account_id,)).fetchone()
            modseq = 0 if row is None else int(row[0])
        return CommitResult(self._account_id, modseq, set())

    def new_id(self) -> str:
        return new_id()

    # --- JMAP records -------------------------------------------------------------------------
    def create_record(self, type_name: str, record_id: str, data: JsonObject) -> None:
        account_id = self._require_account()
        modseq = self.next_modseq()
        if type_name == EMAIL:
            data = stored_email(data)
        try:
            self._conn.execute(
                "INSERT INTO records (account_id, type, id, created_modseq, updated_modseq, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (account_id, type_name, record_id, modseq, modseq, orjson.dumps(data)),
            )
        except sqlite3.IntegrityError:
            raise RecordExists(f"{type_name} {record_id} already exists") from None
        self._changed(type_name)

    def update_record(self, type_name: str, record_id: str, data: JsonObject) -> None:
        account_id = self._require_account()
        if type_name == EMAIL:
            # Only keywords and mailboxIds change, and they live in the mail index (written by
            # set_email_flags): the record itself stays as created; its modseq moves.
            cursor = self._conn.execute(
                "UPDATE records SET updated_modseq = ?"
                " WHERE account_id = ? AND type = ? AND id = ? AND destroyed_modseq IS NULL",
                (self.next_modseq(), account_id, type_name, record_id),
            )
            if not cursor.rowcount:
                raise RecordNotFound(f"{type_name} {record_id} not found")
            self._changed(type_name)
            return
        payload = orjson.dumps(data)
        cursor = self._conn.execute(
            "UPDATE records SET data = ?, updated_modseq = ?"
            " WHERE account_id = ? AND type = ? AND id = ? AND destroyed_modseq IS NULL"
            " AND data IS NOT ?",
            (payload, self.next_modseq(), account_id, type_name, record_id, payload),
        )
        if cursor.rowcount:
            self._changed(type_name)
            return
        # Nothing updated: identical data (a no-op, no state change) or no such live record.
        if not self.get_records(account_id, type_name, [record_id]):
            raise RecordNotFound(f"{type_name} {record_id} not found")

    def destroy_record(self, type_name: str, record_id: str) -> None:
        account_id = self._require_account()
        modseq = self.next_modseq()
        cursor = self._conn.execute(
            "UPDATE records SET data = NULL, updated_modseq = ?, destroyed_modseq = ?"
            " WHERE account_id = ? AND type = ? AND id = ? AND destroyed_modseq IS NULL",
            (modseq, modseq, account_id, type_name, record_id),
        )
        if not cursor.rowcount:
            raise RecordNotFound(f"{type_name} {record_id} not found")
        self._changed(type_name)

    def touch_type(self, type_name: str) -> None:
        self._require_account()
        self._changed(type_name)

    def purge_tombstones(self, account_id: str, type_name: str, below_modseq: int) -> int:
        state = self.type_state(account_id, type_name)
        # The low modseq never passes the high one: since == high stays answerable (no changes).
        low = max(state.low, min(below_modseq, state.high))
        cursor = self._conn.execute(
            "DELETE FROM records WHERE account_id = ? AND type = ?"
            " AND destroyed_modseq IS NOT NULL AND destroyed_modseq < ?",
            (account_id, type_name, below_modseq),
        )
        if low != state.low:
            self._conn.execute(
                "UPDATE type_states SET low = ? WHERE account_id = ? AND type = ?",
                (low, account_id, type_name),
            )
        return cursor.rowcount

    # --- blobs --------------------------------------------------------------------------------
    def add_blob(self, blob_id: str, size: int, type: str, expires_at: float | None) -> None:
        account_id = self._require_account()
        if not self._blobs.exists(blob_id):
            raise BlobMissing(f"blob {blob_id} has no file")
        # A non-expiring row (NULL) stays non-expiring; otherwise the later expiry wins.
        self._conn.execute(
            "INSERT INTO blobs (account_id, blob_id, size, type, refcount, uploaded_at, expires_at)"
            " VALUES (?, ?, ?, ?, 0, ?, ?)"
            " ON CONFLICT (account_id, blob_id) DO UPDATE SET expires_at = CASE"
            "  WHEN blobs.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL"
            "  ELSE MAX(blobs.expires_at, excluded.expires_at) END",
            (account_id, blob_id, size, type, time.time(), expires_at),
        )

    def ref_blob(self, blob_id: str, delta: int) -> None:
        """When the count drops to zero a non-expiring row starts expiring now: a blob that no
        record references any more is collected at the next `expire_blobs`."""
        account_id = self._require_account()
        row = self._conn.execute(
            "UPDATE blobs SET refcount = refcount + ?, expires_at = CASE"
            "  WHEN refcount + ? <= 0 THEN COALESCE(expires_at, ?) ELSE expires_at END"
            " WHERE account_id = ? AND blob_id = ? RETURNING refcount",
            (delta, delta, time.time(), account_id, blob_id),
        ).fetchone()
        if row is None:
            raise BlobNotFound(f"account {account_id} has no blob {blob_id}")
        if row[0] < 0:
            raise ValueError(f"blob {blob_id} reference count would go below zero")

    def expire_blobs(self, now: float) -> list[str]:
        # RFC 8620 section 6: unreferenced uploads may be deleted after their expiry.
        rows = self._conn.execute(
            "DELETE FROM blobs WHERE refcount = 0 AND expires_at IS NOT NULL AND expires_at <= ?"
            " RETURNING blob_id",
            (now,),
        ).fetchall()
        return self.unreferenced_blobs([r[0] for r in rows])

    # --- users, accounts, tokens ----------------------------------------------------------------
    def create_user(self, username: str, password_hash: str, email: str | None) -> User:
        if self.user_by_name(username) is not None:
            raise UserExists(f"user {username!r} already exists")
        user = User(id=new_id(), username=username, password_hash=password_hash, email=email)
        try:
            self._conn.execute(
                "INSERT INTO users (id, username, password_hash, email) VALUES (?, ?, ?, ?)",
                (user.id, username, password_hash, email),
            )
        except sqlite3.IntegrityError:
            raise UserExists(f"user {username!r} already exists") from None
        self._conn.execute(
            "INSERT INTO accounts (id, name, owner_user_id, is_personal, is_read_only)"
            " VALUES (?, ?, ?, 1, 0)",
            (new_id(), username, user.id),
        )
        return user

    def set_password(self, user_id: str, password_hash: str) -> None:
        cursor = self._conn.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
        )
        if not cursor.rowcount:
            raise UserNotFound(user_id)

    def delete_user(self, user_id: str) -> None:
        if self.user_by_id(user_id) is None:
            raise UserNotFound(user_id)
        accounts = self._conn.execute(
            "SELECT id FROM accounts WHERE owner_user_id = ?", (user_id,)
        ).fetchall()
        for (account_id,) in accounts:
            for table in ("records", "type_states", "blobs"):
                self._conn.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
            self._conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
        self._conn.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))
        self._conn.execute("DELETE FROM users WHERE id = ?", (user_id,))

    def create_token(self, user_id: str, token_hash: str, name: str) -> None:
        if self.user_by_id(user_id) is None:
            raise UserNotFound(user_id)
        try:
            self._conn.execute(
                "INSERT INTO tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)",
                (token_hash, user_id, name, time.time()),
            )
        except sqlite3.IntegrityError:
            raise StoreError("a token with this hash already exists") from None

    def delete_token(self, token_hash: str) -> bool:
        cursor = self._conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))
        return cursor.rowcount > 0


def _end(conn: sqlite3.Connection, statement: str) -> None:
    if conn.in_transaction:
        conn.execute(statement)


class _Memo:
    """One thread's remembered directory reads, and the versions they were read at."""

    __slots__ = ("data_version", "directory_version", "entries")

    def __init__(self, data_version: int, directory_version: int) -> None:
        self.data_version = data_version
        self.directory_version = directory_version
        self.entries: dict[Hashable, Any] = {}


class SqliteStore:
    """`Store` on SQLite. Build it with `SqliteStore.open(data_dir)`."""

    def __init__(self, db_path: Path, blobs: FsBlobFiles, readers: int) -> None:
        self.db_path = db_path
        self.blobs: BlobFiles = blobs
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._local = threading.local()
        self._writer_conn = _connect(db_path)
        self._writer_conn.execute("PRAGMA busy_timeout = 0")  # see _begin_immediate
        self._connections.append(self._writer_conn)
        self._writer = GroupCommitWriter(
            self._writer_conn, _begin_immediate, db_path.with_name(db_path.name + "-writer.lock")
        )
        self._readers = ReaderPool(readers, self._open_reader, "satchel-db-reader")
        self._decoded = DecodedCache(DECODED_CACHE_SIZE)
        self._memo = StateMemo(STATE_MEMO_SIZE)
        self._closed = False

    @classmethod
    def open(cls, data_dir: Path, *, readers: int = DEFAULT_READERS) -> SqliteStore:
        """Create `data_dir`, its database and blob directory if needed; migrate the schema."""
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path = data_dir / DB_FILE
        blobs = FsBlobFiles(data_dir / BLOB_DIR)
        conn = _connect(db_path)
        try:
            _enable_wal(conn)
            migrate(conn)
        finally:
            conn.close()
        return cls(db_path, blobs, readers)

    def _open_reader(self) -> None:
        conn = _connect(self.db_path)
        conn.execute("PRAGMA query_only = ON")
        self._local.conn = conn
        with self._connections_lock:
            self._connections.append(conn)

    # --- running transactions -------------------------------------------------------------------
    def _run_read(self, fn: Callable[[ReadTxn], T]) -> T:
        conn: sqlite3.Connection = self._local.conn
        conn.execute("BEGIN")
        try:
            result = fn(SqliteRead(conn, self._decoded, self._memo))
        except BaseException:
            _end(conn, "ROLLBACK")
            raise
        _end(conn, "COMMIT")
        return result

    def _write_job(
        self, account_id: str, fn: Callable[[WriteTxn], T]
    ) -> Callable[[], tuple[T, CommitResult]]:
        def run() -> tuple[T, CommitResult]:
            txn = SqliteWrite(self._writer_conn, account_id, self.blobs)
            result = fn(txn)
            return result, txn.commit_result()

        return run

    async def read(self, fn: Callable[[ReadTxn], T]) -> T:
        if on_loop_allowed():  # nothing else waits for the loop (on_loop.py)
            return self.read_now(fn)
        result: T = await self._readers.run(partial(self._run_read, fn))
        return result

    def _calling_thread_conn(self) -> sqlite3.Connection:
        """The calling thread's read connection, opened on its first read."""
        if getattr(self._local, "conn", None) is None:
            self._open_reader()
        conn: sqlite3.Connection = self._local.conn
        return conn

    def read_now(self, fn: Callable[[ReadTxn], T]) -> T:
        self._calling_thread_conn()
        return self._run_read(fn)

    def read_directory_memo(self, key: Hashable, fn: Callable[[ReadTxn], T]) -> T:
        local = self._local
        conn = self._calling_thread_conn()
        # data_version moves whenever any other connection (this process's writer included)
        # commits; this connection never writes. Only when it moved is the directory's own
        # version read, and both before `fn`'s transaction below, so a result is never older
        # than the version it is filed under.
        data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        memo: _Memo | None = getattr(local, "memo", None)
        if memo is None or memo.data_version != data_version:
            directory = conn.execute("SELECT version FROM directory_version").fetchone()[0]
            if memo is None or memo.directory_version != directory:
                memo = local.memo = _Memo(data_version, directory)
            else:
                memo.data_version = data_version
        entries = memo.entries
        if key in entries:
            return cast(T, entries[key])
        result = self._run_read(fn)
        if len(entries) >= MEMO_ENTRIES:
            entries.clear()
        entries[key] = result
        return result

    async def write(self, account_id: str, fn: Callable[[WriteTxn], T]) -> tuple[T, CommitResult]:
        result: tuple[T, CommitResult] = await self._writer.run(
            self._write_job(account_id, fn), here_if_idle=on_loop_allowed()
        )
        return result

    def read_sync(self, fn: Callable[[ReadTxn], T]) -> T:
        result: T = self._readers.submit(partial(self._run_read, fn)).result()
        return result

    def write_sync(self, account_id: str, fn: Callable[[WriteTxn], T]) -> tuple[T, CommitResult]:
        if threading.current_thread() is self._writer.thread:
            # Waiting here for the one writer thread, from that thread, would hang forever.
            raise RuntimeError("write_sync called inside a write transaction")
        result: tuple[T, CommitResult] = self._writer.submit(
            self._write_job(account_id, fn)
        ).result()
        return result

    # --- closing --------------------------------------------------------------------------------
    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        """Finish running transactions, then close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._writer.shutdown()
        self._readers.shutdown()
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
