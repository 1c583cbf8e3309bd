"""`satchel user ...` and `satchel token create`, run as a real subprocess on a real data dir."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from satchel.auth.authenticator import Authenticator
from satchel.config import Settings
from satchel.store import open_store
from satchel.store.base import User

RunCli = Callable[..., subprocess.CompletedProcess[str]]

GENERATED = re.compile(r"[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}")


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


async def login(data_dir: Path, header: str) -> User | None:
    store = open_store(data_dir)
    try:
        auth = Authenticator(store, Settings(data_dir=str(data_dir), failed_login_delay=0.0))
        return await auth.authenticate(header)
    finally:
        await store.close()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


async def test_add_with_password_stdin_json_then_login(run_cli: RunCli, data_dir: Path) -> None:
    result = run_cli("user", "add", "bob", "--password-stdin", "--json", input="hunter2 two\nx\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "bob", "password": "hunter2 two"}
    assert result.stdout.strip() == '{"username": "bob", "password": "hunter2 two"}'
    user = await login(data_dir, basic("bob", "hunter2 two"))
    assert user is not None and user.username == "bob"


async def test_add_generates_a_password(run_cli: RunCli, data_dir: Path) -> None:
    result = run_cli("user", "add", "carol", "--json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["username"] == "carol" and GENERATED.fullmatch(created["password"])
    assert await login(data_dir, basic("carol", created["password"])) is not None

    human = run_cli("user", "add", "dave")
    assert human.returncode == 0
    assert GENERATED.search(human.stdout) and "dave" in human.stdout


def test_duplicate_and_bad_names_are_refused(run_cli: RunCli) -> None:
    assert run_cli("user", "add", "bob", "--password-stdin", input="pw\n").returncode == 0
    again = run_cli("user", "add", "bob", "--password-stdin", input="other\n")
    assert again.returncode == 1
    assert "already exists" in one_error_line(again.stderr)

    for bad in ["Bob", "bob smith", "a" * 65, "bob@example.com"]:
        result = run_cli("user", "add", bad, "--password-stdin", input="pw\n")
        assert result.returncode == 1, bad
        assert "user name" in one_error_line(result.stderr)

    listed = run_cli("user", "list", "--json")
    assert [u["username"] for u in json.loads(listed.stdout)] == ["bob"]


def test_empty_stdin_password_is_refused(run_cli: RunCli) -> None:
    result = run_cli("user", "add", "bob", "--password-stdin", input="")
    assert result.returncode == 1
    assert "password" in one_error_line(result.stderr)


def test_list(run_cli: RunCli) -> None:
    for name in ["zed", "amy"]:
        assert run_cli("user", "add", name).returncode == 0
    listed = run_cli("user", "list", "--json")
    assert listed.returncode == 0
    users = json.loads(listed.stdout)
    assert [u["username"] for u in users] == ["amy", "zed"]
    assert all(isinstance(u["id"], str) and u["id"] for u in users)
    human = run_cli("user", "list")
    assert human.returncode == 0 and "amy" in human.stdout and "zed" in human.stdout


def test_commands_on_a_missing_data_dir_say_so(run_cli: RunCli, data_dir: Path) -> None:
    for args in [("user", "list"), ("user", "passwd", "bob"), ("token", "create", "bob")]:
        result = run_cli(*args)
        assert result.returncode == 1
        assert "no data directory" in one_error_line(result.stderr)
    assert not data_dir.exists()


async def test_passwd(run_cli: RunCli, data_dir: Path) -> None:
    run_cli("user", "add", "bob", "--password-stdin", input="old\n")
    changed = run_cli("user", "passwd", "bob", "--password-stdin", "--json", input="new\n")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {"username": "bob", "password": "new"}
    assert await login(data_dir, basic("bob", "old")) is None
    assert await login(data_dir, basic("bob", "new")) is not None

    generated = run_cli("user", "passwd", "bob", "--json")
    password = json.loads(generated.stdout)["password"]
    assert GENERATED.fullmatch(password)
    assert await login(data_dir, basic("bob", password)) is not None

    missing = run_cli("user", "passwd", "nobody", "--password-stdin", input="x\n")
    assert missing.returncode == 1 and "no user" in one_error_line(missing.stderr)


def test_delete_asks_unless_yes(run_cli: RunCli) -> None:
    run_cli("user", "add", "bob")
    run_cli("user", "add", "eve")
    declined = run_cli("user", "delete", "bob", input="n\n")
    assert declined.returncode == 1
    assert run_cli("user", "delete", "bob", input="y\n").returncode == 0
    assert run_cli("user", "delete", "eve", "--yes").returncode == 0
    assert json.loads(run_cli("user", "list", "--json").stdout) == []
    missing = run_cli("user", "delete", "bob", "--yes")
    assert missing.returncode == 1 and "no user" in one_error_line(missing.stderr)


async def test_token_create_then_authenticate(run_cli: RunCli, data_dir: Path) -> None:
    run_cli("user", "add", "bob")
    created = run_cli("token", "create", "bob", "--label", "phone", "--json")
    assert created.returncode == 0, created.stderr
    body = json.loads(created.stdout)
    assert body["username"] == "bob" and body["label"] == "phone"
    assert body["token"].startswith("stl_")
    user = await login(data_dir, f"Bearer {body['token']}")
    assert user is not None and user.username == "bob"

    plain = run_cli("token", "create", "bob")
    assert plain.returncode == 0
    token = plain.stdout.strip()
    assert token.startswith("stl_") and token != body["token"]
    assert await login(data_dir, f"Bearer {token}") is not None

    missing = run_cli("token", "create", "nobody")
    assert missing.returncode == 1 and "no user" in one_error_line(missing.stderr)


def test_help_and_module_entry_point(run_cli: RunCli) -> None:
    result = run_cli("--help", data=None)
    assert result.returncode == 0
    for command in ["serve", "user", "token", "doctor"]:
        assert command in result.stdout


def test_data_dir_from_satchel_data(
    run_cli: RunCli, data_dir: Path, environ: dict[str, str]
) -> None:
    argv = [sys.executable, "-m", "satchel", "user", "add", "bob", "--json"]
    env = {**environ, "SATCHEL_DATA": str(data_dir)}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = run_cli("user", "list", "--json")
    assert [u["username"] for u in json.loads(listed.stdout)] == ["bob"]


async def test_token_list_and_revoke(run_cli: RunCli, data_dir: Path) -> None:
    run_cli("user", "add", "bob")
    first = json.loads(run_cli("token", "create", "bob", "--label", "phone", "--json").stdout)
    second = json.loads(run_cli("token", "create", "bob", "--label", "laptop", "--json").stdout)
    listed = json.loads(run_cli("token", "list", "bob", "--json").stdout)
    assert sorted(t["label"] for t in listed) == ["laptop", "phone"]
    assert all(first["token"] not in json.dumps(t) for t in listed)  # only ids, never secrets

    phone = next(t["id"] for t in listed if t["label"] == "phone")
    assert run_cli("token", "revoke", "bob", phone).returncode == 0
    assert await login(data_dir, f"Bearer {first['token']}") is None
    assert await login(data_dir, f"Bearer {second['token']}") is not None

    assert run_cli("token", "revoke", "bob", second["token"]).returncode == 0
    assert await login(data_dir, f"Bearer {second['token']}") is None
    assert json.loads(run_cli("token", "list", "bob", "--json").stdout) == []

    unknown = run_cli("token", "revoke", "bob", phone)
    assert unknown.returncode == 1 and "no token" in one_error_line(unknown.stderr)
