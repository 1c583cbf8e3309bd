"""The state-change bus between the processes of one machine (the SQLite deployment): every
serving process binds a unix datagram socket in `DATA/push/`, and whoever commits (any worker,
`satchel deliver`, `satchel import`) sends the change to every socket found there. No polling: a
receiver wakes when a datagram lands, a publisher never waits on the event loop.

Each datagram wakes a sleeping process on the other side, which costs both sides a context switch
(set_seen at 1 client on 2 cores: 1284 us per request with no peer, 1593 us with one idle peer).
So under a burst a publisher sends at most once per `SEND_WINDOW`: the first change goes out at
once, what commits within the window is merged (newest modseq per account and type) and sent at
its end. A lone change is not delayed; a burst adds at most the window to push latency. "At once"
on an event loop means at its next turn: the send (a wake-up of another process, 100 µs and
more on a small VM) comes after the committing request's answer has gone out, not before it.

A socket whose process died refuses datagrams (ECONNREFUSED) and is unlinked by the publisher
that noticed. A receiver that is slow to drain (the kernel queues ~10 datagrams per socket) makes
the publisher keep that peer's changes in a backlog, coalesced per account and type (newest modseq
wins, so it stays small), sent as soon as the socket is writable again.

A PostgreSQL backend replaces this file with NOTIFY inside the transaction and one LISTEN
connection per process feeding the same `Hub` (the `StateBus` protocol in bus.py is the seam).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import select
import socket
import threading
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Final

import orjson

from satchel.push.bus import Listener
from satchel.push.hub import Hub, TypeModseqs
from satchel.store.base import CommitResult

log = logging.getLogger(__name__)

SUFFIX: Final = ".sock"
MAX_DATAGRAM: Final = 65_536
# A receiver drains its queue in one go, up to this many datagrams per wake-up (then yields).
DRAIN_BATCH: Final = 512
# Without an event loop (CLI commands) a full peer queue is waited for at most this long.
SYNC_WAIT_SECONDS: Final = 0.25
# A publisher on an event loop sends at most once per this many seconds (see above).
SEND_WINDOW: Final = 0.005
# sun_path holds 108 bytes with the terminating NUL; longer paths go through the directory's fd.
_MAX_SUN_PATH: Final = 107
# A directory listing is reused while the directory's mtime stands still, but only once that
# mtime is this much older than the listing: file systems stamp with a coarse clock, so an entry
# made in the same tick as the listing can leave the mtime unchanged.
_SETTLED_NS: Final = 1_000_000_000


def encode_message(account_id: str, changes: Mapping[str, int]) -> bytes:
    return orjson.dumps({"a": account_id, "c": changes})


def decode_message(data: bytes) -> tuple[str, dict[str, int]] | None:
    """(account id, type name -> modseq), or None for anything that is not such a message."""
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict):
        return None
    account_id, changes = message.get("a"), message.get("c")
    if not isinstance(account_id, str) or not account_id or not isinstance(changes, dict):
        return None
    valid = {
        name: modseq
        for name, modseq in changes.items()
        if isinstance(modseq, int) and not isinstance(modseq, bool) and modseq >= 0
    }
    return (account_id, valid) if valid else None


class SocketDirectory:
    """`DATA/push/`: one socket per serving process, named `PID-RANDOM.sock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._dir_fd: int | None = None
        self._lock = threading.Lock()
        # (directory mtime, the names then) from a listing taken after that mtime had settled.
        self._listing: tuple[int, list[str]] | None = None

    def ensure(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def names(self) -> list[str]:
        """The sockets there now. Every publish asks, and the directory changes only when a
        process starts or stops: a stat answers in place of a listing (a third of the cost)."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
            listing = self._listing
            if listing is not None and listing[0] == mtime:
                return listing[1]
            names = [name for name in os.listdir(self.path) if name.endswith(SUFFIX)]
        except FileNotFoundError:
            return []
        settled = time.time_ns() - mtime > _SETTLED_NS
        self._listing = (mtime, names) if settled else None
        return names

    def address(self, name: str) -> str:
        full = str(self.path / name)
        if len(os.fsencode(full)) <= _MAX_SUN_PATH:
            return full
        # A deep data directory: reach the socket through an open descriptor of its directory.
        with self._lock:
            if self._dir_fd is None:
                self._dir_fd = os.open(self.path, os.O_PATH | os.O_DIRECTORY)
            return f"/proc/self/fd/{self._dir_fd}/{name}"

    def unlink(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / name)

    def close(self) -> None:
        with self._lock:
            if self._dir_fd is not None:
                os.close(self._dir_fd)
                self._dir_fd = None


def _merge(into: dict[str, TypeModseqs], account_id: str, changes: Mapping[str, int]) -> None:
    merged = into.setdefault(account_id, {})
    for name, modseq in changes.items():
        if modseq > merged.get(name, -1):
            merged[name] = modseq


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Publisher:
    """Sends changes to every socket in the directory but `own`. Thread-safe: writes commit on
    the event loop (HTTP, LMTP) and on plain threads (CLI, `write_sync`)."""

    def __init__(self, directory: SocketDirectory) -> None:
        self.directory = directory
        self.own: str | None = None
        self._peers: dict[str, socket.socket] = {}
        self._backlog: dict[str, dict[str, TypeModseqs]] = {}
        self._writers: dict[str, asyncio.AbstractEventLoop] = {}
        self._lock = threading.RLock()
        # Changes held for the end of the current send window, and its timer.
        self._pending: dict[str, TypeModseqs] = {}
        self._timer: asyncio.Handle | None = None
        self._last_send = -SEND_WINDOW

    def send(self, account_id: str, changes: Mapping[str, int]) -> None:
        loop = _running_loop()
        with self._lock:
            _merge(self._pending, account_id, changes)
            if self._timer is not None:
                return  # goes out with the rest when the window ends
            wait = self._last_send + SEND_WINDOW - time.monotonic()
            if loop is None:
                # Without a loop (CLI commands) there is nothing to send later: now.
                self._send_pending()
            elif wait <= 0:
                self._timer = loop.call_soon(self._window_ended)
            else:
                self._timer = loop.call_later(wait, self._window_ended)

    def _window_ended(self) -> None:
        with self._lock:
            self._timer = None
            self._send_pending()

    def _send_pending(self) -> None:
        self._last_send = time.monotonic()
        pending, self._pending = self._pending, {}
        if not pending:
            return
        names = [name for name in self.directory.names() if name != self.own]
        for gone in set(self._peers) - set(names):
            self._forget(gone)
        for name in names:
            for account_id, changes in pending.items():
                try:
                    self._send_to(name, account_id, changes)
                except OSError as error:  # best effort: the commit has happened anyway
                    log.debug("push: cannot send to %s: %s", name, error)
                    self._forget(name)
                    break

    def backlog_size(self) -> int:
        """Accounts whose changes wait: for a peer to drain, or for the send window to end."""
        with self._lock:
            waiting = sum(len(accounts) for accounts in self._backlog.values())
            return waiting + len(self._pending)

    def _send_to(self, name: str, account_id: str, changes: Mapping[str, int]) -> None:
        if name in self._backlog:  # keep the order: what waits goes first
            _merge(self._backlog[name], account_id, changes)
            self._flush_or_wait(name)
            return
        sock = self._peer(name)
        if sock is None:
            return
        try:
            sock.send(encode_message(account_id, changes))
        except BlockingIOError:
            _merge(self._backlog.setdefault(name, {}), account_id, changes)
            self._flush_or_wait(name)
        except (ConnectionRefusedError, FileNotFoundError):
            self._dead(name)

    def _peer(self, name: str) -> socket.socket | None:
        sock = self._peers.get(name)
        if sock is not None:
            return sock
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        try:
            sock.connect(self.directory.address(name))
        except ConnectionRefusedError:
            sock.close()
            self._dead(name)
            return None
        except OSError:
            sock.close()
            return None
        self._peers[name] = sock
        return sock

    def _dead(self, name: str) -> None:
        """Nobody is bound there any more: its process is gone."""
        self._forget(name)
        self.directory.unlink(name)

    def _forget(self, name: str) -> None:
        self._backlog.pop(name, None)
        sock = self._peers.pop(name, None)
        loop = self._writers.pop(name, None)
        if sock is not None:
            if loop is not None and not loop.is_closed():
                if loop is _running_loop():
                    loop.remove_writer(sock.fileno())
                else:
                    loop.call_soon_threadsafe(loop.remove_writer, sock.fileno())
            sock.close()

    def _flush(self, name: str) -> bool:
        """Send what waits for `name`; True when nothing is left."""
        backlog = self._backlog.get(name)
        sock = self._peers.get(name)
        if backlog is None or sock is None:
            self._backlog.pop(name, None)
            return True
        while backlog:
            account_id = next(iter(backlog))
            try:
                sock.send(encode_message(account_id, backlog[account_id]))
            except BlockingIOError:
                return False
            except OSError:
                self._dead(name)
                return True
            del backlog[account_id]
        del self._backlog[name]
        return True

    def _flush_or_wait(self, name: str) -> None:
        if self._flush(name):
            return
        loop = _running_loop()
        sock = self._peers[name]
        if loop is not None:
            if name not in self._writers:
                self._writers[name] = loop
                loop.add_writer(sock.fileno(), self._on_writable, name)
            return
        # No event loop on this thread: wait a little for room, then give up (best effort).
        deadline = time.monotonic() + SYNC_WAIT_SECONDS
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLOUT)
        while name in self._backlog:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("push: peer %s is not draining; changes for it dropped", name)
                self._backlog.pop(name, None)
                return
            poller.poll(remaining * 1000)
            self._flush(name)

    def _on_writable(self, name: str) -> None:
        with self._lock:
            loop = self._writers.get(name)
            if self._flush(name) and loop is not None:
                sock = self._peers.get(name)
                self._writers.pop(name, None)
                if sock is not None:
                    loop.remove_writer(sock.fileno())

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._send_pending()  # what the window held
            for name in list(self._peers):
                self._forget(name)


class SocketBus:
    """`StateBus` over unix datagram sockets. Every process that opens the store publishes;
    only a started bus (a serving process) receives and has listeners."""

    def __init__(self, directory: Path, hub: Hub | None = None) -> None:
        self.directory = SocketDirectory(directory)
        self.hub = hub if hub is not None else Hub()
        self.publisher = Publisher(self.directory)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None
        self._name: str | None = None

    # --- StateBus ---------------------------------------------------------------------------
    def publish(self, commit: CommitResult) -> None:
        if not commit.account_id or not commit.changed_types:
            return
        changes = dict.fromkeys(commit.changed_types, commit.modseq)
        try:
            self.publisher.send(commit.account_id, changes)
        except Exception:  # never fail a committed write because push could not be sent
            log.exception("push: publishing a state change failed")
        self._dispatch_here(commit.account_id, changes)

    def listen(self, account_ids: Collection[str] | None = None) -> Listener:
        return self.hub.listen(account_ids)

    async def start(self) -> None:
        if self._sock is not None:
            return
        loop = asyncio.get_running_loop()
        self.directory.ensure()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        with contextlib.suppress(OSError):  # room for bursts; the kernel may cap it lower
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for _ in range(5):
            name = f"{os.getpid()}-{secrets.token_hex(6)}{SUFFIX}"
            try:
                sock.bind(self.directory.address(name))
                break
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    sock.close()
                    raise
        else:
            sock.close()
            raise RuntimeError("push: no free socket name in the push directory")
        self._loop, self._sock, self._name = loop, sock, name
        self.publisher.own = name
        loop.add_reader(sock.fileno(), self._on_readable)

    async def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None and self._loop is not None:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        if self._name is not None:
            self.directory.unlink(self._name)
            self._name = None
        self._loop = None
        self.hub.close_all()
        self.publisher.close()
        self.directory.close()

    # --- receiving ----------------------------------------------------------------------------
    @property
    def socket_name(self) -> str | None:
        return self._name

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(DRAIN_BATCH):
            try:
                data = sock.recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                log.warning("push: receiving failed: %s", error)
                return
            message = decode_message(data)
            if message is not None:
                self.hub.dispatch(*message)

    def _dispatch_here(self, account_id: str, changes: dict[str, int]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if _running_loop() is loop:
            self.hub.dispatch(account_id, changes)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self.hub.dispatch, account_id, changes)

    def __repr__(self) -> str:
        return f"SocketBus({self.directory.path!s}, name={self._name!r})"
