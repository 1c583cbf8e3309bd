"""`satchel serve` accepts mail over LMTP next to HTTP: on TCP in every worker process
(SO_REUSEPORT), on a unix socket in exactly one of them."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import clean_env, free_port

from satchel.store import open_store

MESSAGE = b"From: c@example.net\r\nSubject: via serve %d\r\n\r\nHi.\r\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    argv = [sys.executable, "-m", "satchel", "user", "add", "alice", "--password-stdin"]
    argv += ["--data", str(data)]
    subprocess.run(argv, input="pw\n", text=True, check=True, capture_output=True, env=clean_env())
    return data


def serve(data: Path, lmtp: str, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "satchel", "serve", "--data", str(data)]
    argv += ["--listen", f"127.0.0.1:{free_port()}", "--lmtp", lmtp, "--workers", str(workers)]
    process = subprocess.Popen(
        argv, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=40)
        assert b"Traceback" not in stderr, stderr.decode()


def connect(lmtp: str) -> smtplib.LMTP:
    deadline = time.monotonic() + 30
    while True:
        try:
            if lmtp.startswith("unix:"):
                return smtplib.LMTP(lmtp[len("unix:") :])
            host, _, port = lmtp.rpartition(":")
            return smtplib.LMTP(host, int(port))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def deliver_each_on_its_own_connection(lmtp: str, count: int) -> None:
    for i in range(count):
        client = connect(lmtp)
        try:
            refused = client.sendmail("c@example.net", ["alice@localhost"], MESSAGE % i)
            assert refused == {}
        finally:
            client.quit()


def subjects(data: Path) -> set[str]:
    store = open_store(data)
    try:
        user = store.read_sync(lambda txn: txn.user_by_name("alice"))
        assert user is not None
        account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0].id
        records = store.read_sync(lambda txn: txn.get_records(account, "Email", None))
        return {str(r.data["subject"]) for r in records}
    finally:
        store.close_sync()


def test_lmtp_on_a_tcp_port_shared_by_two_workers(data: Path) -> None:
    lmtp = f"127.0.0.1:{free_port()}"
    for _ in serve(data, lmtp, workers=2):
        deliver_each_on_its_own_connection(lmtp, 8)
    assert subjects(data) == {f"via serve {i}" for i in range(8)}


def test_one_worker_serves_a_unix_socket(data: Path, tmp_path: Path) -> None:
    lmtp = f"unix:{tmp_path / 'lmtp.sock'}"
    for _ in serve(data, lmtp, workers=2):
        deliver_each_on_its_own_connection(lmtp, 3)
    assert subjects(data) == {f"via serve {i}" for i in range(3)}
    assert not (tmp_path / "lmtp.sock").exists()  # removed on shutdown


def test_a_bad_lmtp_address_is_one_line_of_error(data: Path) -> None:
    argv = [sys.executable, "-m", "satchel", "serve", "--data", str(data), "--lmtp", "nonsense"]
    result = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: LMTP address 'nonsense'")


def roles_and_mail_count(data: Path, name: str) -> tuple[set[str], int]:
    store = open_store(data)
    try:
        user = store.read_sync(lambda txn: txn.user_by_name(name))
        assert user is not None
        account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0].id
        boxes = store.read_sync(lambda txn: txn.get_records(account, "Mailbox", None))
        count = len(store.read_sync(lambda txn: txn.get_records(account, "Email", None)))
        return {str(b.data["role"]) for b in boxes}, count
    finally:
        store.close_sync()


def test_first_user_is_provisioned_before_any_mail(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    lmtp = f"127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "satchel", "serve", "--data", str(data), "--first-user"]
    argv += ["--listen", f"127.0.0.1:{free_port()}", "--lmtp", lmtp]
    process = subprocess.Popen(
        argv, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        client = connect(lmtp)  # the server is up
        roles, count = roles_and_mail_count(data, "admin")
        assert roles >= {"inbox", "drafts", "sent", "archive", "junk", "trash"}
        assert count == 0
        assert client.sendmail("c@example.net", ["admin@localhost"], MESSAGE % 1) == {}
        client.quit()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=40)
    assert roles_and_mail_count(data, "admin")[1] == 1
