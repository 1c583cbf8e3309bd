"""`satchel serve --first-user`: a newcomer gets a login printed, and it works over real HTTP."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from live_server import free_port

PASSWORD = re.compile(r"Password\s+(\S+)")
URL = re.compile(r"Session URL\s+(\S+)")


def banner(proc: subprocess.Popen[str]) -> str:
    """The lines printed before the server starts (flushed before `run_server` blocks)."""
    assert proc.stdout is not None
    lines: list[str] = []
    while True:
        line = proc.stdout.readline()
        assert line, "serve exited before printing its banner: " + "".join(lines)
        lines.append(line)
        if line.startswith("╰"):
            return "".join(lines)


def wait_until_serving(url: str, auth: tuple[str, str]) -> httpx.Response:
    for _ in range(200):
        try:
            return httpx.get(url, auth=auth, timeout=2)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def serve(data_dir: Path, port: int, environ: dict[str, str]) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "satchel", "serve", "--data", str(data_dir)]
    argv += ["--listen", f"127.0.0.1:{port}", "--first-user", "--lmtp", "off"]
    environ = {**environ, "SATCHEL_FAILED_LOGIN_DELAY": "0.1"}
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ
    )


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert "Traceback" not in stderr, stderr
    return stderr


def test_first_user_is_created_printed_and_can_log_in(
    data_dir: Path, environ: dict[str, str]
) -> None:
    port = free_port()
    proc = serve(data_dir, port, environ)
    try:
        printed = banner(proc)
        url = URL.search(printed)
        password = PASSWORD.search(printed)
        assert url is not None and password is not None, printed
        assert url.group(1) == f"http://127.0.0.1:{port}/.well-known/jmap"
        assert "admin" in printed

        session = wait_until_serving(url.group(1), ("admin", password.group(1)))
        assert session.status_code == 200
        assert session.json()["username"] == "admin"
        assert wait_until_serving(url.group(1), ("admin", "wrong")).status_code == 401

        # A token created by another process while the server runs works at once (Bearer).
        argv = [sys.executable, "-m", "satchel", "token", "create", "admin", "--data"]
        created = subprocess.run(
            [*argv, str(data_dir)], capture_output=True, text=True, env=environ, timeout=60
        )
        assert created.returncode == 0, created.stderr
        bearer = {"Authorization": f"Bearer {created.stdout.strip()}"}
        by_token = httpx.get(url.group(1), headers=bearer, timeout=5)
        assert by_token.status_code == 200 and by_token.json()["username"] == "admin"
    finally:
        stop(proc)

    # Second start: the user exists, so no new password; the banner says who can log in.
    proc = serve(data_dir, port, environ)
    try:
        printed = banner(proc)
        assert PASSWORD.search(printed) is None
        assert re.search(r"Users\s+admin", printed)
        # Stop it once it serves: the banner comes before uvicorn handles SIGINT, and a SIGINT
        # that lands inside a finalizer before then is swallowed by Python.
        assert wait_until_serving(url.group(1), ("admin", "wrong")).status_code == 401
    finally:
        stop(proc)
