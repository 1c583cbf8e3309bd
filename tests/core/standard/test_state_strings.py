"""Opaque state strings (satchel.core.state): round trip, opacity, and garbage handling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.core.errors import MethodError
from satchel.core.state import check_if_in_state, decode_state, encode_state, since_modseq


@given(st.integers(min_value=0, max_value=2**63))
def test_state_round_trips(modseq: int) -> None:
    assert decode_state(encode_state(modseq)) == modseq


@given(st.integers(min_value=0, max_value=10**9))
def test_state_is_not_the_bare_number(modseq: int) -> None:
    assert encode_state(modseq) != str(modseq)


@given(st.text(max_size=20))
def test_arbitrary_text_is_garbage_or_a_real_state(text: str) -> None:
    modseq = decode_state(text)
    assert modseq is None or encode_state(modseq) == text


@pytest.mark.parametrize("garbage", [None, 5, "", "0", "12", "zzzzzz", "0012" + "ab", "-1xx"])
def test_garbage_decodes_to_none(garbage: object) -> None:
    assert decode_state(garbage) is None


def test_a_changed_character_is_detected() -> None:
    state = encode_state(123456)
    tampered = ("1" if state[0] != "1" else "2") + state[1:]
    assert decode_state(tampered) is None


def test_since_modseq_rejects_garbage_old_and_future_states() -> None:
    assert since_modseq(encode_state(5), low=2, high=9) == 5
    for state in ("garbage", encode_state(1), encode_state(10)):
        with pytest.raises(MethodError) as caught:
            since_modseq(state, low=2, high=9)
        assert caught.value.type == "cannotCalculateChanges"


def test_if_in_state_mismatch_and_garbage_are_state_mismatch() -> None:
    check_if_in_state(None, 7)
    check_if_in_state(encode_state(7), 7)
    for state in (encode_state(6), "garbage"):
        with pytest.raises(MethodError) as caught:
            check_if_in_state(state, 7)
        assert caught.value.type == "stateMismatch"


def test_state_of_another_scope_is_garbage() -> None:
    assert decode_state(encode_state(42, "Mailbox"), "Mailbox") == 42
    assert decode_state(encode_state(42, "Mailbox"), "Email") is None
