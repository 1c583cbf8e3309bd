"""`satchel serve --workers 2` as a real subprocess: several clients upload concurrently and
copy blobs, and every blob is then retrievable, byte for byte, from each worker process.

Which worker served a connection is read from /proc (the process holding the server side of the
client's TCP connection), so the test knows both workers were exercised without any hook in the
server.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from http_support import CORE, HttpUser, add_user
from live_server import free_port, start_serve, stop_serve

from satchel.store import open_store

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of 127.0.0.1:client_port -> 127.0.0.1:server_port."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def _children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            pids.append(int(entry.name))
    return pids


def serving_pid(parent: int, server_port: int, response: httpx.Response) -> int | None:
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    inode = _socket_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in _children(parent):
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


def prepare_data(data: Path, names: tuple[str, ...]) -> list[HttpUser]:
    store = open_store(data)
    users = [add_user(store, name, f"{name}-password") for name in names]
    store.close_sync()
    (data / "satchel.toml").write_text('failed_login_delay = 0.0\nlog_level = "warning"\n')
    return users


Served = tuple[str, int, subprocess.Popen[bytes], list[HttpUser]]


@pytest.fixture
def workers_server(tmp_path: Path) -> Iterator[Served]:
    data = tmp_path / "data"
    users = prepare_data(data, ("alice", "bob", "carol"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_serve(data, f"127.0.0.1:{port}", url, workers=2)
    yield url, port, process, users
    stop_serve(process)


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
def test_serve_on_ipv6_loopback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    [alice] = prepare_data(data, ("alice",))
    with socket.socket(socket.AF_INET6) as sock:
        sock.bind(("::1", 0))
        port = sock.getsockname()[1]
    url = f"http://[::1]:{port}"
    process = start_serve(data, f"[::1]:{port}", url, workers=1)
    try:
        session = httpx.get(f"{url}/.well-known/jmap", headers={"Authorization": alice.basic})
        assert session.status_code == 200
        assert session.json()["apiUrl"] == f"{url}/jmap/api/"
    finally:
        stop_serve(process)


def test_two_workers_share_blobs(workers_server: Served) -> None:
    url, port, process, users = workers_server

    # One connection per client; open clients until both worker processes have served one.
    clients: dict[int, httpx.Client] = {}
    spare: list[httpx.Client] = []
    for _ in range(60):
        client = httpx.Client(base_url=url, headers={"Authorization": users[0].basic}, timeout=10)
        response = client.get("/.well-known/jmap")
        assert response.status_code == 200
        pid = serving_pid(process.pid, port, response)
        assert pid is not None
        if pid in clients:
            spare.append(client)
        else:
            clients[pid] = client
        if len(clients) == 2:
            break
    assert len(clients) == 2, "both workers should accept connections"

    # Concurrent uploads from several users and connections; some content shared across users.
    def upload(job: tuple[int, int]) -> tuple[HttpUser, str, bytes]:
        user_index, n = job
        user = users[user_index]
        data = hashlib.sha256(f"blob {n % 7}".encode()).digest() * (1000 + n)
        with httpx.Client(base_url=url, headers={"Authorization": user.basic}, timeout=30) as http:
            response = http.post(
                f"/jmap/upload/{user.account_id}/", content=data, headers={"Content-Type": "a/b"}
            )
        assert response.status_code == 201, response.text
        blob = response.json()
        assert blob["size"] == len(data)
        return user, blob["blobId"], data

    jobs = [(i % len(users), i) for i in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        uploaded = list(pool.map(upload, jobs))

    # Blob/copy within each user's account, concurrently, including an id the user lacks.
    def copy(user: HttpUser) -> dict[str, object]:
        own = [blob_id for owner, blob_id, _ in uploaded if owner is user]
        foreign = next(b for o, b, _ in uploaded if o is not user and b not in own)
        request = {
            "using": [CORE],
            "methodCalls": [
                [
                    "Blob/copy",
                    {
                        "fromAccountId": user.account_id,
                        "accountId": user.account_id,
                        "blobIds": [*own, foreign],
                    },
                    "c",
                ]
            ],
        }
        with httpx.Client(base_url=url, headers={"Authorization": user.basic}, timeout=30) as http:
            response = http.post("/jmap/api/", json=request)
        assert response.status_code == 200, response.text
        [[name, result, _]] = response.json()["methodResponses"]
        assert name == "Blob/copy", result
        assert set(result["copied"]) == set(own)
        assert set(result["notCopied"]) == {foreign}
        return result

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(copy, users))

    # Every blob is retrievable and identical from both workers; never from another user.
    for pid, client in clients.items():
        for user, blob_id, data in uploaded:
            path = f"/jmap/download/{user.account_id}/{blob_id}/f.bin?type=a%2Fb"
            response = client.get(path, headers={"Authorization": user.basic})
            assert serving_pid(process.pid, port, response) == pid
            assert response.status_code == 200
            assert response.content == data
            other = users[(users.index(user) + 1) % len(users)]
            stolen = f"/jmap/download/{other.account_id}/{blob_id}/f.bin?type=a%2Fb"
            if not any(o is other and b == blob_id for o, b, _ in uploaded):
                denied = client.get(stolen, headers={"Authorization": other.basic})
                assert denied.status_code == 404
    for client in [*clients.values(), *spare]:
        client.close()
