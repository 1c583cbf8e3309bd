"""EventSource framing and push-state tokens as pure code (no sockets)."""

from __future__ import annotations

import pytest

from satchel.push.bus import StateChange
from satchel.push.eventsource import (
    MAX_PING,
    MIN_PING,
    BadParameters,
    StreamParameters,
    only_types,
    parse_parameters,
    ping_event,
    state_event,
)
from satchel.push.pushstate import PushTracker, decode_push_state, encode_push_state


def test_parameters_as_the_url_template_fills_them() -> None:
    assert parse_parameters({"types": "*", "closeafter": "no", "ping": "0"}) == StreamParameters(
        None, False, 0
    )
    assert parse_parameters(
        {"types": "Email,Mailbox", "closeafter": "state", "ping": "300"}
    ) == StreamParameters(frozenset({"Email", "Mailbox"}), True, 300)
    assert parse_parameters({}) == StreamParameters(None, False, 0)


def test_ping_is_clamped_within_what_rfc_8620_allows() -> None:
    # Section 7.3: the minimum may not exceed 30 s nor the maximum be under 300 s.
    assert MIN_PING <= 30 and MAX_PING >= 300
    assert parse_parameters({"ping": "999999"}).ping == MAX_PING
    assert parse_parameters({"ping": "1"}).ping == max(1, MIN_PING)


@pytest.mark.parametrize(
    "query",
    [
        {"types": ""},
        {"types": "Email,,Mailbox"},
        {"closeafter": "STATE"},
        {"ping": "-5"},
        {"ping": "1.5"},
        {"ping": "١٢"},
        {"ping": "9" * 20},
    ],
)
def test_bad_parameters(query: dict[str, str]) -> None:
    with pytest.raises(BadParameters):
        parse_parameters(query)


def test_state_event_bytes() -> None:
    changes = [StateChange("a1", {"Email": "x1"}), StateChange("a2", {"Mailbox": "y2"})]
    assert state_event(changes, "a1:5.a2:7") == (
        b"event: state\nid: a1:5.a2:7\n"
        b'data: {"@type":"StateChange","changed":{"a1":{"Email":"x1"},"a2":{"Mailbox":"y2"}}}\n\n'
    )
    # Section 7.3: a ping sets no new event id.
    assert ping_event(30) == b'event: ping\ndata: {"interval":30}\n\n'


def test_only_types() -> None:
    change = StateChange("a", {"Email": "1", "Mailbox": "2"})
    assert only_types(change, None) is change
    assert only_types(change, frozenset({"Email"})) == StateChange("a", {"Email": "1"})
    assert only_types(change, frozenset({"Thread"})) is None


def test_push_state_tokens_round_trip_and_refuse_garbage() -> None:
    token = encode_push_state({"Aabc": 0, "Bdef": 123456789})
    assert decode_push_state(token) == {"Aabc": 0, "Bdef": 123456789}
    for garbage in (None, "", "x", "a:", ":5", "a:5.", "a:-1", "a:5:6", "a:ü", "a:" + "z" * 5000):
        assert decode_push_state(garbage) is None, garbage


def test_tracker_advances_with_what_was_sent() -> None:
    from satchel.core.state import encode_state

    tracker = PushTracker({"a": 3})
    tracker.sent(StateChange("a", {"Email": encode_state(9, "Email")}))
    tracker.sent(StateChange("a", {"Email": encode_state(7, "Email")}))
    tracker.sent(StateChange("b", {"Mailbox": "not-a-state"}))
    assert decode_push_state(tracker.token()) == {"a": 9}
