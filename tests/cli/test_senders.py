"""`satchel user sender add|remove|list` as real subprocesses, checked through `may_send_from`
on the store the server would read."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from satchel.config import Settings
from satchel.mail.senders import may_send_from
from satchel.store import open_store

RunCli = Callable[..., subprocess.CompletedProcess[str]]  # the `run_cli` fixture (conftest.py)


def may(data_dir: Path, name: str, address: str) -> bool:
    store = open_store(data_dir)
    try:
        user = store.read_sync(lambda txn: txn.user_by_name(name))
        assert user is not None
        return store.read_sync(lambda txn: may_send_from(txn, Settings(), user.id, address))
    finally:
        store.close_sync()


def test_sender_grant_commands(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("user", "add", "alice", "--password-stdin", input="pw\n").returncode == 0
    assert not may(data_dir, "alice", "news@brand.example")

    added = run_cli("user", "sender", "add", "alice", "*@Brand.EXAMPLE")
    assert added.returncode == 0, added.stderr
    assert run_cli("user", "sender", "add", "alice", "Boss@Corp.example").returncode == 0
    again = run_cli("user", "sender", "add", "alice", "*@brand.example")
    assert again.returncode == 0 and "already" in again.stdout
    bad = run_cli("user", "sender", "add", "alice", "news*@brand.example")
    assert bad.returncode == 1 and "*@domain" in bad.stderr
    assert run_cli("user", "sender", "add", "nobody", "*@brand.example").returncode == 1

    listed = run_cli("user", "sender", "list", "alice", "--json")
    assert json.loads(listed.stdout) == ["*@brand.example", "boss@corp.example"]
    assert may(data_dir, "alice", "News@brand.example")
    assert may(data_dir, "alice", "boss@CORP.example")
    assert not may(data_dir, "alice", "other@corp.example")

    assert run_cli("user", "sender", "remove", "alice", "*@BRAND.example").returncode == 0
    missing = run_cli("user", "sender", "remove", "alice", "*@brand.example")
    assert missing.returncode == 1 and "no grant" in missing.stderr
    assert run_cli("user", "sender", "list", "alice").stdout.split() == ["boss@corp.example"]
    assert not may(data_dir, "alice", "news@brand.example")
