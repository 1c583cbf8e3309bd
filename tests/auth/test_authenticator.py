"""Authenticator against a real SQLite store: Basic and Bearer, failures, and the credential
cache (argon2 runs once per login, and never again after the password changed)."""

from __future__ import annotations

import base64
import threading
import time

from argon2 import PasswordHasher

from satchel.auth.authenticator import Authenticator
from satchel.auth.passwords import hash_password, needs_rehash, verify_password
from satchel.auth.tokens import generate_token, token_hash
from satchel.config import Settings
from satchel.store.base import ReadTxn, Store, User, WriteTxn


class CountingVerify:
    """Wraps the real argon2 verify to see how often (and on which thread) it runs."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[str] = set()

    def __call__(self, password_hash: str, password: str) -> bool:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        return verify_password(password_hash, password)


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"failed_login_delay": 0.0, "credential_cache_seconds": 300}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


async def add_user(store: Store, name: str, password_hash: str) -> User:
    def create(txn: WriteTxn) -> User:
        return txn.create_user(name, password_hash, None)

    user, _ = await store.write("", create)
    return user


async def set_password(store: Store, user_id: str, password_hash: str) -> None:
    def change(txn: WriteTxn) -> None:
        txn.set_password(user_id, password_hash)

    await store.write("", change)


async def stored_hash(store: Store, user_id: str) -> str:
    def read(txn: ReadTxn) -> User | None:
        return txn.user_by_id(user_id)

    user = await store.read(read)
    assert user is not None
    return user.password_hash


async def test_basic_success_returns_the_user(store: Store) -> None:
    alice = await add_user(store, "alice", hash_password("s3cret:with colon"))
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    user = await auth.authenticate(basic("alice", "s3cret:with colon"))
    assert user is not None and user.id == alice.id and user.username == "alice"
    assert verify.calls == 1
    assert threading.main_thread().name not in verify.threads  # argon2 ran off the event loop


async def test_username_is_case_insensitive(store: Store) -> None:
    await add_user(store, "alice", hash_password("pw"))
    auth = Authenticator(store, settings())
    user = await auth.authenticate(basic("Alice", "pw"))
    assert user is not None and user.username == "alice"


async def test_wrong_password_and_unknown_user_fail_alike(store: Store) -> None:
    await add_user(store, "alice", hash_password("pw"))
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    assert await auth.authenticate(basic("alice", "wrong")) is None
    assert verify.calls == 1
    # An unknown user still costs one argon2 verify (against a dummy hash).
    assert await auth.authenticate(basic("nobody", "pw")) is None
    assert verify.calls == 2


async def test_malformed_or_missing_headers_fail_without_hashing(store: Store) -> None:
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    for header in [None, "", "Basic", "Basic ####", "Bearer", "Negotiate abc", "Basic YQ=="]:
        assert await auth.authenticate(header) is None
    assert verify.calls == 0


async def test_failed_login_is_delayed(store: Store) -> None:
    await add_user(store, "alice", hash_password("pw"))
    auth = Authenticator(store, settings(failed_login_delay=0.2))
    started = time.monotonic()
    assert await auth.authenticate(basic("alice", "wrong")) is None
    assert time.monotonic() - started >= 0.2


async def test_cache_hit_skips_argon2(store: Store) -> None:
    await add_user(store, "alice", hash_password("pw"))
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    for _ in range(5):
        assert await auth.authenticate(basic("alice", "pw")) is not None
    assert verify.calls == 1
    # A wrong password is never answered from the cache.
    assert await auth.authenticate(basic("alice", "pw2")) is None
    assert verify.calls == 2


async def test_cache_disabled_verifies_every_time(store: Store) -> None:
    await add_user(store, "alice", hash_password("pw"))
    verify = CountingVerify()
    auth = Authenticator(store, settings(credential_cache_seconds=0), verify=verify)
    for _ in range(3):
        assert await auth.authenticate(basic("alice", "pw")) is not None
    assert verify.calls == 3


async def test_password_change_invalidates_the_cache(store: Store) -> None:
    alice = await add_user(store, "alice", hash_password("old"))
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    assert await auth.authenticate(basic("alice", "old")) is not None
    assert verify.calls == 1

    await set_password(store, alice.id, hash_password("new"))
    assert await auth.authenticate(basic("alice", "old")) is None
    assert verify.calls == 2
    user = await auth.authenticate(basic("alice", "new"))
    assert user is not None and user.id == alice.id


async def test_deleted_user_is_not_served_from_the_cache(store: Store) -> None:
    alice = await add_user(store, "alice", hash_password("pw"))
    auth = Authenticator(store, settings())
    assert await auth.authenticate(basic("alice", "pw")) is not None

    def delete(txn: WriteTxn) -> None:
        txn.delete_user(alice.id)

    await store.write("", delete)
    assert await auth.authenticate(basic("alice", "pw")) is None


async def test_outdated_hash_is_upgraded_on_login(store: Store) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("pw")
    alice = await add_user(store, "alice", old)
    auth = Authenticator(store, settings())
    user = await auth.authenticate(basic("alice", "pw"))
    assert user is not None
    upgraded = await stored_hash(store, alice.id)
    assert upgraded != old and not needs_rehash(upgraded)
    assert verify_password(upgraded, "pw")
    assert await auth.authenticate(basic("alice", "pw")) is not None


async def test_bearer_token(store: Store) -> None:
    alice = await add_user(store, "alice", hash_password("pw"))
    token = generate_token()

    def create(txn: WriteTxn) -> None:
        txn.create_token(alice.id, token_hash(token), "test")

    await store.write("", create)
    verify = CountingVerify()
    auth = Authenticator(store, settings(), verify=verify)
    user = await auth.authenticate(f"Bearer {token}")
    assert user is not None and user.id == alice.id
    assert await auth.authenticate(f"Bearer {token}x") is None
    assert await auth.authenticate(f"Bearer {generate_token()}") is None
    assert verify.calls == 0  # tokens never touch argon2
