"""A real Satchel for tests: the application served by uvicorn on a thread and a socket of its
own, or `satchel serve` as real processes; and jmapc clients for either."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jmapc
import requests
import requests.adapters
import uvicorn

from satchel.http.app import create_app
from satchel.http.one_send import OneSendHttpToolsProtocol
from satchel.services import Services


def serve_in_thread(app: Any, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    """Run `app` as `satchel serve` does (uvloop, httptools with one send per response,
    websockets) on a bound socket."""
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=OneSendHttpToolsProtocol,
        ws="websockets-sansio",
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return server, thread


@contextlib.contextmanager
def serving(services: Services) -> Iterator[int]:
    """Serve `services` on a free loopback port for the block; the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server, thread = serve_in_thread(create_app(services), sock)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class HttpsToHttpAdapter(requests.adapters.HTTPAdapter):
    """jmapc always speaks https; the test servers speak plain http."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        assert request.url is not None
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, *args, **kwargs)


def jmapc_client(port: int, **auth: str) -> jmapc.Client:
    """A jmapc client of the server on `port`: `user=` and `password=`, or `token=`."""
    host = f"127.0.0.1:{port}"
    if "token" in auth:
        client = jmapc.Client.create_with_api_token(host=host, api_token=auth["token"])
    else:
        client = jmapc.Client.create_with_password(
            host=host, user=auth["user"], password=auth["password"]
        )
    client.requests_session.mount(f"https://{host}/", HttpsToHttpAdapter())
    return client


# --- `satchel serve` as processes --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    env["NO_COLOR"] = "1"
    return env


def start_serve(data: Path, listen: str, url: str, workers: int) -> subprocess.Popen[bytes]:
    """`python -m satchel serve` on `data`; returns once `url` answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satchel",
            "serve",
            "--data",
            str(data),
            "--listen",
            listen,
            "--workers",
            str(workers),
            "--lmtp",
            "off",  # parallel test runs must not collide on the LMTP port
        ],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/.well-known/jmap", timeout=1).status_code == 401:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start: " + process.communicate()[1].decode())
        time.sleep(0.1)


def stop_serve(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM: a graceful shutdown without a traceback. One uvicorn process re-raises the
    signal once it has shut down (so it ends "killed by SIGTERM"); a supervisor exits 0."""
    process.terminate()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
