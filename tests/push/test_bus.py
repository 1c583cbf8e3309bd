"""The state-change bus: every commit through the wired store reaches listeners as StateChanges
whose states are what Foo/get returns afterwards, over a real unix datagram socket, from this
process and from others; slow receivers and dead sockets cost neither memory nor correctness."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_client import EngineClient
from push_support import Pushed

from satchel.core.limits import CoreLimits
from satchel.mail.ingest import Incoming, ingest
from satchel.mail.provision import provision_account
from satchel.push.bus import Listener, StateChange
from satchel.push.hub import Hub
from satchel.push.unix_bus import (
    SEND_WINDOW,
    SUFFIX,
    SocketBus,
    SocketDirectory,
    decode_message,
    encode_message,
)
from satchel.services import build_registry
from satchel.store.base import CommitResult

TIMEOUT = 5


def message(subject: str) -> bytes:
    return (
        f"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@example.com>\r\n\r\nHello\r\n"
    ).encode()


def client(pushed: Pushed) -> EngineClient:
    user, account = pushed.alice
    limits = CoreLimits()
    registry = build_registry(pushed.settings, limits)
    return EngineClient(
        pushed.store, user, [account], limits, registry, list(registry.capabilities)
    )


async def next_change(listener: Listener) -> StateChange:
    return await asyncio.wait_for(anext(aiter(listener)), TIMEOUT)


async def assert_states_match_get(jmap: EngineClient, change: StateChange) -> None:
    """RFC 8620 section 7.1: each value is the state Foo/get would return now."""
    for type_name, state in change.changed.items():
        if type_name == "EmailDelivery":  # push-only: no /get
            continue
        result = await jmap.ok(f"{type_name}/get", ids=[])
        assert result["state"] == state, type_name


async def test_each_commit_pushes_the_states_get_returns(pushed: Pushed) -> None:
    jmap = client(pushed)
    account_id = jmap.account_id
    listener = pushed.bus.listen([account_id])
    await jmap.ok("Mailbox/get", ids=None)  # provisions the role mailboxes: a commit
    provisioned = await next_change(listener)
    assert provisioned.account_id == account_id
    assert "Mailbox" in provisioned.changed
    await assert_states_match_get(jmap, provisioned)

    created = await jmap.ok("Mailbox/set", create={"m": {"name": "Projects"}})
    change = await next_change(listener)
    assert set(change.changed) == {"Mailbox"}
    assert change.changed["Mailbox"] == created["newState"]
    await assert_states_match_get(jmap, change)

    email_id, _ = await ingest(pushed.store, account_id, Incoming(message("one")), delivery=True)
    change = await next_change(listener)
    assert {"Email", "Thread", "Mailbox", "EmailDelivery"} <= set(change.changed)
    await assert_states_match_get(jmap, change)

    # RFC 8621 section 1.5: marking read changes Email but not EmailDelivery.
    await jmap.ok("Email/set", update={email_id: {"keywords/$seen": True}})
    change = await next_change(listener)
    assert "Email" in change.changed and "EmailDelivery" not in change.changed
    await assert_states_match_get(jmap, change)
    listener.close()


async def test_import_is_not_a_delivery(pushed: Pushed) -> None:
    account_id = pushed.alice[1].id
    listener = pushed.bus.listen([account_id])
    await ingest(pushed.store, account_id, Incoming(message("imported")))
    change = await next_change(listener)
    assert "Email" in change.changed and "EmailDelivery" not in change.changed


async def test_only_the_listened_accounts_and_pushable_types(pushed: Pushed) -> None:
    alice, bob = pushed.alice[1].id, pushed.bob[1].id
    listener = pushed.bus.listen([bob])
    everything = pushed.bus.listen(None)

    def internal(txn: Any) -> None:
        txn.touch_type("SomethingInternal")
        txn.touch_type("PushSubscription")

    await pushed.store.write(alice, internal)  # nothing a client may be told about
    await pushed.store.write(alice, lambda txn: txn.touch_type("Mailbox"))
    await pushed.store.write(bob, lambda txn: txn.touch_type("Thread"))
    first = await next_change(everything)
    assert first.account_id == alice and set(first.changed) == {"Mailbox"}
    change = await next_change(listener)
    assert change.account_id == bob and set(change.changed) == {"Thread"}
    assert not listener.has_pending()  # type: ignore[attr-defined]
    listener.close()
    everything.close()


async def test_a_listener_that_never_reads_holds_one_entry_per_account(pushed: Pushed) -> None:
    alice = pushed.alice[1].id
    listener = pushed.bus.listen([alice])
    last = CommitResult(alice, 0)
    for _ in range(200):
        _, last = await pushed.store.write(alice, lambda txn: txn.touch_type("Mailbox"))
    pending = listener.take_pending()  # type: ignore[attr-defined]
    assert len(pending) == 1
    assert pending[0].changed == {"Mailbox": _state(last.modseq, "Mailbox")}


def _state(modseq: int, type_name: str) -> str:
    from satchel.core.state import encode_state

    return encode_state(modseq, type_name)


async def test_a_change_older_than_one_announced_is_dropped() -> None:
    hub = Hub()
    listener = hub.listen(["a"])
    hub.dispatch("a", {"Email": 7})
    hub.dispatch("a", {"Email": 6})  # another process's earlier commit, arriving late
    hub.dispatch("a", {"Email": 6, "Mailbox": 6})
    assert [c.changed for c in listener.take_pending()] == [
        {"Email": _state(7, "Email"), "Mailbox": _state(6, "Mailbox")}
    ]


async def test_a_write_in_another_process_reaches_the_listener(pushed: Pushed) -> None:
    """`satchel deliver` in a subprocess: its commit arrives here over the socket."""
    account_id = pushed.alice[1].id
    await provision_account(pushed.store, account_id)
    listener = pushed.bus.listen([account_id])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "satchel",
        "deliver",
        "alice",
        "--data",
        str(pushed.settings.data_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")},
    )
    _, stderr = await process.communicate(message("remote"))
    assert process.returncode == 0, stderr
    change = await next_change(listener)
    assert change.account_id == account_id
    assert {"Email", "EmailDelivery"} <= set(change.changed)
    await assert_states_match_get(client(pushed), change)


async def test_a_dead_socket_is_unlinked(pushed: Pushed) -> None:
    push_dir = pushed.settings.data_path / "push"
    stale = push_dir / "1-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
        gone.bind(str(stale))  # bound, then closed: what a killed worker leaves behind
    listener = pushed.bus.listen(None)
    await pushed.store.write(pushed.alice[1].id, lambda txn: txn.touch_type("Mailbox"))
    await next_change(listener)
    assert not stale.exists()
    assert pushed.bus.socket_name in os.listdir(push_dir)


async def test_a_slow_receiver_gets_every_account_once_it_drains(tmp_path: Path) -> None:
    """The kernel queues ~10 datagrams; beyond that the publisher coalesces and waits."""
    push_dir = tmp_path / "push"
    push_dir.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(str(push_dir / "2-slow.sock"))
        bus = SocketBus(push_dir)
        for modseq in range(1, 101):
            for account in ("a", "b", "c"):
                bus.publish(CommitResult(account, modseq, {"Email"}))
        assert 0 < bus.publisher.backlog_size() <= 3
        newest: dict[str, int] = {}
        receiver.setblocking(False)
        loop = asyncio.get_running_loop()
        while len(newest) < 3 or min(newest.values()) < 100:
            data = await asyncio.wait_for(loop.sock_recv(receiver, 65536), TIMEOUT)
            decoded = decode_message(data)
            assert decoded is not None
            newest[decoded[0]] = max(newest.get(decoded[0], 0), decoded[1]["Email"])
        assert bus.publisher.backlog_size() == 0
        await bus.stop()


async def test_a_burst_wakes_a_peer_once_per_window_and_ends_on_the_newest_state(
    tmp_path: Path,
) -> None:
    """Each datagram wakes the peer's process: a burst of commits is sent as its first change
    at the loop's next turn (after the committing request has answered) and the rest merged at
    the end of the window, never one datagram per commit."""
    push_dir = tmp_path / "push"
    push_dir.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(str(push_dir / "3-peer.sock"))
        receiver.setblocking(False)
        bus = SocketBus(push_dir)
        bus.publish(CommitResult("a", 1, {"Email"}))
        with pytest.raises(BlockingIOError):  # not while the committing task still runs
            receiver.recv(65536)
        await asyncio.sleep(0)
        first = decode_message(receiver.recv(65536))
        assert first == ("a", {"Email": 1})  # the leading change was not held for the window
        for modseq in range(2, 51):
            bus.publish(CommitResult("a", modseq, {"Email"}))
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(receiver, 65536), TIMEOUT)
        assert decode_message(data) == ("a", {"Email": 50})
        await asyncio.sleep(SEND_WINDOW * 4)
        with pytest.raises(BlockingIOError):  # two datagrams for fifty commits
            receiver.recv(65536)
        await bus.stop()


async def test_garbage_datagrams_are_ignored(pushed: Pushed) -> None:
    listener = pushed.bus.listen(None)
    name = pushed.bus.socket_name
    assert name is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.connect(str(pushed.settings.data_path / "push" / name))
        for junk in (b"", b"not json", b"[]", b'{"a": 1}', b'{"a": "x", "c": {"Email": -1}}'):
            sender.send(junk)
        sender.send(encode_message(pushed.alice[1].id, {"Mailbox": 5}))
    change = await next_change(listener)
    assert change.changed == {"Mailbox": _state(5, "Mailbox")}


async def test_a_data_directory_too_deep_for_a_socket_path(tmp_path: Path) -> None:
    """sun_path holds 107 bytes: deeper directories are reached through a directory fd."""
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "push"
    receiver, sender = SocketBus(deep), SocketBus(deep)
    await receiver.start()
    try:
        assert len(str(deep / (receiver.socket_name or ""))) > 107
        listener = receiver.listen(["acct"])
        sender.publish(CommitResult("acct", 3, {"Email"}))
        change = await next_change(listener)
        assert change.changed == {"Email": _state(3, "Email")}
    finally:
        await receiver.stop()
        await sender.stop()


def test_the_socket_listing_sees_every_process_that_comes_or_goes(tmp_path: Path) -> None:
    """The listing is reused while the directory's mtime stands still, but a socket bound in the
    same clock tick as a listing must not hide behind an unchanged mtime."""
    directory = SocketDirectory(tmp_path / "push")
    directory.ensure()
    (directory.path / f"1-a{SUFFIX}").touch()
    assert directory.names() == [f"1-a{SUFFIX}"]
    (directory.path / f"2-b{SUFFIX}").touch()  # most likely the same tick as the listing
    assert sorted(directory.names()) == [f"1-a{SUFFIX}", f"2-b{SUFFIX}"]
    # A settled directory (its mtime well in the past) is listed once, then only stat'ed.
    os.utime(directory.path, ns=(0, 10**9))
    assert sorted(directory.names()) == [f"1-a{SUFFIX}", f"2-b{SUFFIX}"]
    (directory.path / f"1-a{SUFFIX}").unlink()
    assert directory.names() == [f"2-b{SUFFIX}"]
    (directory.path / "not-a-socket.tmp").touch()
    (directory.path / f"3-c{SUFFIX}").touch()
    assert sorted(directory.names()) == [f"2-b{SUFFIX}", f"3-c{SUFFIX}"]
