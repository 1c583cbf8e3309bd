"""The credential cache: keyed without the password, expiring, bounded."""

from __future__ import annotations

from satchel.auth.cache import CredentialCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entry_lives_for_the_ttl_only() -> None:
    clock = Clock()
    cache = CredentialCache(60, clock=clock)
    key = cache.key("alice", "pw")
    cache.put(key, "u1", "$hash")
    entry = cache.get(key)
    assert entry is not None and (entry.user_id, entry.password_hash) == ("u1", "$hash")
    clock.now += 59
    assert cache.get(key) is not None
    clock.now += 1
    assert cache.get(key) is None
    assert len(cache) == 0


def test_key_depends_on_user_and_password_and_hides_them() -> None:
    cache = CredentialCache(60)
    key = cache.key("alice", "pw")
    assert key == cache.key("alice", "pw")
    assert key != cache.key("alice", "pw2")
    assert key != cache.key("bob", "pw")
    assert cache.key("a:b", "c") != cache.key("a", "b:c")
    assert b"pw" not in key and len(key) == 32
    # A per-process random key: another cache (process) derives a different key.
    assert CredentialCache(60).key("alice", "pw") != key


def test_zero_ttl_caches_nothing() -> None:
    cache = CredentialCache(0)
    key = cache.key("alice", "pw")
    cache.put(key, "u1", "$hash")
    assert cache.get(key) is None


def test_oldest_entries_are_evicted_past_the_bound() -> None:
    cache = CredentialCache(60, max_entries=3)
    keys = [cache.key(f"user{i}", "pw") for i in range(4)]
    for key in keys:
        cache.put(key, "u", "$h")
    assert len(cache) == 3
    assert cache.get(keys[0]) is None
    assert all(cache.get(k) is not None for k in keys[1:])
