"""What the PushSubscription tests share: a fake push service (a real HTTP server on a free
local port, in a thread, recording every POST and answering as scripted), a Web Push subscriber
key pair that decrypts what it receives, and a JMAP client for one user of a live server."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime
import http.server
import os
import shutil
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

import http_ece
import httpx
import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat
from cryptography.x509.oid import NameOID

from satchel.push.bus import StateChange
from satchel.store.base import CommitResult

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"


@dataclasses.dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    at: float = dataclasses.field(default_factory=time.monotonic)

    def json(self) -> Any:
        return orjson.loads(self.body)


HANG = -1  # a scripted "answer": hold the request until the service is released


class PushService:
    """POSTs are recorded; each gets the next scripted answer for its path (or any path), else
    201. An answer is a status, (status, headers), or HANG."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[Received] = []
        self.server_names: list[str | None] = []  # TLS SNI of each connection
        self._scripts: dict[str | None, deque[int | tuple[int, dict[str, str]]]] = {}
        self._changed = threading.Condition()
        self.release = threading.Event()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                answer = service._next_answer(self.path)
                with service._changed:
                    service.received.append(received)
                    service._changed.notify_all()
                headers: dict[str, str] = {}
                if answer == HANG:
                    service.release.wait(20)
                    answer = 201
                if isinstance(answer, tuple):
                    answer, headers = answer
                self.send_response(answer)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:

            def note_server_name(sock: Any, name: str | None, context: Any) -> None:
                self.server_names.append(name)

            tls.sni_callback = note_server_name
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/push") -> str:
        return self.base_url + path

    def script(self, *answers: int | tuple[int, dict[str, str]], path: str | None = None) -> None:
        with self._changed:
            self._scripts.setdefault(path, deque()).extend(answers)

    def _next_answer(self, path: str) -> int | tuple[int, dict[str, str]]:
        with self._changed:
            for key in (path, None):
                queue = self._scripts.get(key)
                if queue:
                    return queue.popleft()
        return 201

    def posts(self, path: str | None = None) -> list[Received]:
        with self._changed:
            return [r for r in self.received if path is None or r.path == path]

    def wait_for(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[Received]:
        """Block until at least `count` POSTs (to `path`) arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self.received if path is None or r.path == path]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} POSTs to {path}, got {len(found)}")
                self._changed.wait(left)

    def wait_until(
        self, predicate: Callable[[Received], bool], path: str | None = None, timeout: float = 10.0
    ) -> Received:
        """Block until a POST (to `path`) satisfies `predicate`; return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for received in self.received:
                    if (path is None or received.path == path) and predicate(received):
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no POST to {path} as expected arrived")
                self._changed.wait(left)

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Subscriber:
    """A Web Push user agent's keys (RFC 8291 section 3): it decrypts what it receives."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        self.keys = {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}

    def decrypt(self, received: Received) -> Any:
        assert received.headers.get("content-encoding") == "aes128gcm"
        plain = http_ece.decrypt(
            received.body,
            private_key=self.private_key,
            auth_secret=self.auth_secret,
            version="aes128gcm",
        )
        return orjson.loads(plain)


class Jmap:
    """One user's JMAP API calls over HTTP."""

    def __init__(self, base_url: str, authorization: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": authorization}, timeout=10
        )

    def call(self, name: str, arguments: dict[str, Any], using: tuple[str, ...] = (CORE,)) -> Any:
        """One method call; returns [name, arguments] of its (single) response."""
        response = self.http.post(
            "/jmap/api/",
            json={"using": list(using), "methodCalls": [[name, arguments, "c0"]]},
        )
        assert response.status_code == 200, response.text
        responses = response.json()["methodResponses"]
        assert len(responses) == 1, responses
        return responses[0][:2]

    def ok(self, name: str, arguments: dict[str, Any], using: tuple[str, ...] = (CORE,)) -> Any:
        got_name, result = self.call(name, arguments, using)
        assert got_name == name, result
        return result

    def close(self) -> None:
        self.http.close()


class LocalBus:
    """The StateBus protocol within one process, for feeding StateChanges to the dispatcher
    the way the real bus does: every listener gets every change published after it started."""

    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[StateChange | None]] = []

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def publish_change(self, change: StateChange) -> None:
        for queue in self._queues:
            queue.put_nowait(change)

    def publish(self, commit: CommitResult) -> None:
        raise NotImplementedError("the tests publish StateChanges directly")

    def listen(self, account_ids: Collection[str] | None = None) -> _LocalListener:
        queue: asyncio.Queue[StateChange | None] = asyncio.Queue()
        self._queues.append(queue)
        return _LocalListener(self, queue)

    def forget(self, queue: asyncio.Queue[StateChange | None]) -> None:
        if queue in self._queues:
            self._queues.remove(queue)
            queue.put_nowait(None)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class _LocalListener:
    def __init__(self, bus: LocalBus, queue: asyncio.Queue[StateChange | None]) -> None:
        self._bus = bus
        self._queue = queue

    async def __aiter__(self) -> AsyncIterator[StateChange]:
        while (change := await self._queue.get()) is not None:
            yield change

    def close(self) -> None:
        self._bus.forget(self._queue)


def tls_contexts(server_name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A TLS server context with a certificate for `server_name` from a throwaway CA, and a
    client context that trusts only that CA."""
    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: Any, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate("Test CA", ca_key, "Test CA", ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = certificate(server_name, leaf_key, "Test CA", ca_key, False)
    directory = tempfile.mkdtemp()
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as out:
        out.write(leaf_cert.public_bytes(Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            leaf_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        server.load_cert_chain(cert_path, key_path)
    finally:
        shutil.rmtree(directory)
    client = ssl.create_default_context(cadata=ca_cert.public_bytes(Encoding.PEM).decode())
    return server, client
