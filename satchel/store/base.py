"""The storage protocols: everything outside `satchel.store` reaches data only through these.

A transaction is a plain synchronous function run by the store wherever it likes (the SQLite
backend runs it on its own database thread), so a whole JMAP method costs one thread hop, not one
per statement. Callers hand the store a function and await its result:

    records = await store.read(lambda txn: txn.get_records(account_id, "Foo", ids))

Write transactions belong to one account: the account's modseq is bumped at most once per
transaction (only when something changed), so every change written by one /set shares a state.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from satchel.store.mail_base import MailReadTxn, MailWriteTxn
from satchel.store.outbound_base import OutboundReadTxn, OutboundWriteTxn
from satchel.store.push_base import PushReadTxn, PushWriteTxn

T = TypeVar("T")

JsonObject = dict[str, Any]


class Record(NamedTuple):
    """One stored JMAP object. `data` holds its properties except `id`. A named tuple, not a
    frozen dataclass: as immutable, and built in half the time (every /get builds one per
    object)."""

    id: str
    data: JsonObject
    created_modseq: int
    updated_modseq: int


@dataclass(frozen=True, slots=True)
class TypeState:
    """`high` is the modseq of the last change to this (account, type): its state.

    `low` is the modseq below which tombstones were purged: changes since a state older than `low`
    cannot be calculated.
    """

    high: int
    low: int


@dataclass(frozen=True, slots=True)
class Changes:
    """Ids changed since a modseq, classified as RFC 8620 section 5.2 wants.

    `new_modseq` is the state the client reaches with these changes: the current high modseq when
    `has_more` is false, else an intermediate modseq at which the changes were cut.
    """

    created: list[str]
    updated: list[str]
    destroyed: list[str]
    new_modseq: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    password_hash: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """An API token, known only by the hash of its secret."""

    token_hash: str
    user_id: str
    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Account:
    """A JMAP account. Each user owns one personal account; sharing comes later."""

    id: str
    name: str
    owner_user_id: str
    is_personal: bool = True
    is_read_only: bool = False


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A blob as one account sees it. `blob_id` is the content hash id shared by all accounts."""

    blob_id: str
    size: int
    type: str
    refcount: int
    uploaded_at: float
    expires_at: float | None


@dataclass(slots=True)
class CommitResult:
    """What a committed write changed: the account, its new modseq and the changed types.

    The push bus (issue 5) publishes exactly this after commit.
    """

    account_id: str
    modseq: int
    changed_types: set[str] = field(default_factory=set)


class BlobFiles(Protocol):
    """Content-addressed blob bytes. Files are written and fsynced before any row names them."""

    def put(self, data: bytes) -> str:
        """Store bytes and return their blob id (derived from the sha-256 of the content)."""
        ...

    def put_stream(self, chunks: Iterable[bytes], max_size: int) -> tuple[str, int]:
        """Store a stream of chunks; raises `BlobTooLarge` past `max_size`. Returns (id, size)."""
        ...

    def open(self, blob_id: str) -> bytes | None: ...

    def path(self, blob_id: str) -> str | None:
        """A filesystem path to stream from, or None if the blob is missing."""
        ...

    def exists(self, blob_id: str) -> bool: ...

    def delete(self, blob_id: str) -> None: ...

    def all_ids(self) -> Iterable[str]: ...

    def age(self, blob_id: str) -> float | None:
        """Seconds since the bytes were last written or re-put (None if missing): collection
        spares young files, which an upload may be about to add a row for."""
        ...


class StoreError(Exception):
    """Base of the errors the store raises on purpose (never for a programming mistake)."""


class BlobTooLarge(StoreError):
    """A blob stream went past its `max_size`; nothing was kept."""


class BlobMissing(StoreError):
    """`add_blob` named a blob whose bytes are not on disk (never written, or just collected)."""


class BlobNotFound(StoreError):
    """`ref_blob` named a blob this account has no row for."""


class CannotCalculateChanges(StoreError):
    """RFC 8620 section 5.2: the changes since this state cannot be calculated (the state is
    below the low modseq, above the high modseq, or one modseq alone holds more than
    `maxChanges` ids)."""


class UserExists(StoreError):
    """`create_user` with a username already taken."""


class UserNotFound(StoreError):
    """An operation on a user id that does not exist."""


class AccountNotFound(StoreError):
    """A write transaction for an account that does not exist."""


class RecordExists(StoreError):
    """`create_record` with an id already used in this (account, type), live or destroyed."""


class RecordNotFound(StoreError):
    """`update_record` or `destroy_record` of an id that is not a live record."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer Satchel than this one; refuse to touch it."""


class AddressTaken(StoreError):
    """`add_alias` with an address that is already an alias (of anyone)."""


class ReadTxn(MailReadTxn, OutboundReadTxn, PushReadTxn, Protocol):
    # --- JMAP records -------------------------------------------------------------------------
    def get_records(
        self, account_id: str, type_name: str, ids: Sequence[str] | None, *, shared: bool = False
    ) -> list[Record]:
        """Live records of a type; `ids=None` means all of them (in id order). Missing ids are
        simply absent from the result. `shared=True` promises that the caller never mutates
        the records' `data` (nor anything inside it), so the store may hand out decoded data it
        keeps for other readers."""
        ...

    def type_state(self, account_id: str, type_name: str) -> TypeState: ...

    def by_state(self, key: Hashable, state: int, build: Callable[[], T]) -> T:
        """`build()`, or what it returned before for `key` at this same committed `state` (see
        state_memo.py). The caller files under `key` only values worked out from the records
        whose state `state` is, read in this transaction; the value is shared, never mutate it."""
        ...

    def account_modseq(self, account_id: str) -> int:
        """The account's modseq (0 before its first change); AccountNotFound if unknown."""
        ...

    def changes_since(
        self, account_id: str, type_name: str, since_modseq: int, max_changes: int | None
    ) -> Changes:
        """Changes since `since_modseq`, classified and cut at `max_changes` as `Changes` says.

        Raises CannotCalculateChanges when `since_modseq` is below the type's low modseq or above
        its high modseq, or when the first modseq after it alone holds more than `max_changes`
        ids (RFC 8620 section 5.2)."""
        ...

    # --- blobs --------------------------------------------------------------------------------
    def blob_info(self, account_id: str, blob_id: str) -> BlobInfo | None: ...

    # --- users, accounts, tokens ----------------------------------------------------------------
    def user_by_name(self, username: str) -> User | None: ...

    def user_by_id(self, user_id: str) -> User | None: ...

    def list_users(self) -> list[User]: ...

    def user_by_token(self, token_hash: str) -> User | None: ...

    def accounts_for_user(self, user_id: str) -> list[Account]: ...

    def schema_version(self) -> int: ...

    def unreferenced_blobs(self, blob_ids: Sequence[str]) -> list[str]:
        """The given blob ids that no account has a row for (their files may be deleted)."""
        ...

    def tokens_for_user(self, user_id: str) -> list[Token]: ...

    # --- mail address aliases (satchel/store/sqlite_addresses.py) -------------------------------
    def user_id_for_alias(self, address: str) -> str | None:
        """The user an alias address delivers to (compared lowercased), if any."""
        ...

    def aliases_for_user(self, user_id: str) -> list[str]:
        """A user's alias addresses, lowercased and sorted."""
        ...

    # --- sender grants (satchel/store/sqlite_senders.py) ----------------------------------------
    def sender_grants(self, user_id: str) -> list[str]:
        """The addresses and `*@domain` patterns an admin let the user send from, lowercased
        and sorted."""
        ...

    def account_owner(self, account_id: str) -> str | None:
        """The id of the user owning an account (whose addresses it sends from), if any."""
        ...


class WriteTxn(ReadTxn, MailWriteTxn, OutboundWriteTxn, PushWriteTxn, Protocol):
    """A write transaction. Record writes bump the account's modseq once per transaction."""

    @property
    def account_id(self) -> str:
        """The account this transaction writes JMAP data to."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: if the block raises, everything it wrote is undone (rows and
        modseq bookkeeping) and the exception propagates; the outer transaction goes on. /set
        runs each object in one, so a SetError never leaves half an object written."""
        ...

    def next_modseq(self) -> int:
        """The modseq this transaction's changes carry (allocated on first call)."""
        ...

    def new_id(self) -> str:
        """A fresh server-assigned object id, unique within the account."""
        ...

    def create_record(self, type_name: str, record_id: str, data: JsonObject) -> None:
        """Create a record at this transaction's modseq. RecordExists if the id was ever used
        in this (account, type), even by a destroyed record: ids are never reused."""
        ...

    def update_record(self, type_name: str, record_id: str, data: JsonObject) -> None:
        """Replace a live record's data and mark it updated at this transaction's modseq.
        Identical data is a no-op (no state change). RecordNotFound if it is not live.

        Emails are the exception: their record is immutable and their keywords and mailboxIds
        are the mail index's (`MailWriteTxn.set_email_flags`), so an Email's update only marks it
        updated; call it only when those changed."""
        ...

    def destroy_record(self, type_name: str, record_id: str) -> None:
        """Destroy a live record, leaving a tombstone for /changes. RecordNotFound if it is
        not live."""
        ...

    def touch_type(self, type_name: str) -> None:
        """Advance a type's state without a record change (e.g. Thread when emails move)."""
        ...

    # --- blobs --------------------------------------------------------------------------------
    def add_blob(self, blob_id: str, size: int, type: str, expires_at: float | None) -> None:
        """Make a blob (already on disk) visible to this account. Idempotent: an existing row
        keeps its refcount; a later expiry never shortens a non-expiring row."""
        ...

    def ref_blob(self, blob_id: str, delta: int) -> None:
        """Change this account's reference count of a blob (records pointing at it).
        BlobNotFound if the account has no row for it; ValueError below zero. When the count
        drops to zero a non-expiring row starts expiring now, so `expire_blobs` collects it."""
        ...

    def expire_blobs(self, now: float) -> list[str]:
        """Drop every account's unreferenced blob rows past expiry; return blob ids no account
        refers to any more (their files may be deleted after commit)."""
        ...

    # --- users, accounts, tokens ----------------------------------------------------------------
    def create_user(self, username: str, password_hash: str, email: str | None) -> User:
        """Create a user and its personal account named after it (distinct ids from the same
        generator). Usernames are unique ignoring ASCII case: UserExists otherwise."""
        ...

    def set_password(self, user_id: str, password_hash: str) -> None:
        """UserNotFound if there is no such user."""
        ...

    def delete_user(self, user_id: str) -> None:
        """Delete a user, its tokens and its personal account with all the account's data
        (records, states, blob rows; files go at the next `sweep_blob_files`)."""
        ...

    def create_token(self, user_id: str, token_hash: str, name: str) -> None:
        """UserNotFound if there is no such user."""
        ...

    def delete_token(self, token_hash: str) -> bool:
        """Revoke a token; False if there was none with this hash."""
        ...

    # --- change-log maintenance -----------------------------------------------------------------
    def purge_tombstones(self, account_id: str, type_name: str, below_modseq: int) -> int:
        """Delete tombstones destroyed below `below_modseq` and raise the type's low modseq to it
        (changes since an older state become cannotCalculateChanges). Returns how many went."""
        ...

    # --- mail address aliases (satchel/store/sqlite_addresses.py) -------------------------------
    def add_alias(self, user_id: str, address: str) -> None:
        """Make `address` (stored lowercased) deliver to the user. AddressTaken if it is
        already an alias; UserNotFound if there is no such user. Deleting the user removes it."""
        ...

    def remove_alias(self, address: str) -> str | None:
        """Remove an alias; the user id it belonged to, or None if it was no alias."""
        ...

    # --- sender grants (satchel/store/sqlite_senders.py) ----------------------------------------
    def add_sender_grant(self, user_id: str, pattern: str) -> bool:
        """Let the user send from an address or `*@domain` (stored lowercased); False if it was
        granted already. UserNotFound if there is no such user. Deleting the user removes it."""
        ...

    def remove_sender_grant(self, user_id: str, pattern: str) -> bool:
        """Revoke a grant; False if the user had no such grant."""
        ...

    # --- vacation auto-reply log (satchel/store/sqlite_vacation.py) -----------------------------
    def claim_vacation_reply(self, account_id: str, sender: str, now: float, period: float) -> bool:
        """Note a vacation reply to `sender` at `now` and return True, unless the account
        already replied to that sender (compared lowercased) less than `period` seconds ago."""
        ...

    def clear_vacation_replies(self, account_id: str) -> int:
        """Forget every reply the account noted (its VacationResponse changed); how many."""
        ...


class Store(Protocol):
    """A storage backend. Functions passed in run synchronously inside one transaction."""

    blobs: BlobFiles

    async def read(self, fn: Callable[[ReadTxn], T]) -> T:
        """Run a read in one snapshot, off the event loop (unless the API says nothing else
        waits for the loop, see on_loop.py)."""
        ...

    def read_now(self, fn: Callable[[ReadTxn], T]) -> T:
        """Run a read on the calling thread, without the hop to a reader thread. Only for point
        lookups of a few indexed rows (the credentials and accounts every request needs): there
        the hop (~0.15 ms) costs ten times the read, while the event loop is held only as long
        as a WAL read of a few pages (readers never wait for the writer)."""
        ...

    def read_directory_memo(self, key: Hashable, fn: Callable[[ReadTxn], T]) -> T:
        """`read_now(fn)`, remembered under `key` for as long as the directory (users, tokens,
        accounts' names, owners and flags, push subscriptions) is unchanged, whoever changes
        it; so the result is always the one `fn` would read now, provided `fn` reads nothing
        else. For the lookups every request or commit repeats; the result must not be
        mutated."""
        ...

    async def write(self, account_id: str, fn: Callable[[WriteTxn], T]) -> tuple[T, CommitResult]:
        """Run `fn` in a write transaction for `account_id`; commit if it returns, roll back if
        it raises. An account id of "" writes no JMAP data (users, tokens)."""
        ...

    def read_sync(self, fn: Callable[[ReadTxn], T]) -> T:
        """The same as `read` for synchronous callers (CLI commands)."""
        ...

    def write_sync(
        self, account_id: str, fn: Callable[[WriteTxn], T]
    ) -> tuple[T, CommitResult]: ...

    async def close(self) -> None: ...

    def close_sync(self) -> None: ...
