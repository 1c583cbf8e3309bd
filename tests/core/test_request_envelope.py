"""The Request envelope (RFC 8620 sections 3.3 and 3.6.1): what parses, and the exact
request-level error for everything that does not."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.core.errors import RequestError
from satchel.core.limits import CoreLimits
from satchel.core.request import Invocation, parse_request, request_from_object

LIMITS = CoreLimits()
CORE = "urn:ietf:params:jmap:core"


def encode(obj: Any) -> bytes:
    return orjson.dumps(obj)


def test_rfc_example_request_parses() -> None:
    body = encode(
        {
            "using": [CORE, "urn:ietf:params:jmap:mail"],
            "methodCalls": [
                ["method1", {"arg1": "arg1data", "arg2": "arg2data"}, "c1"],
                ["method2", {"arg1": "arg1data"}, "c2"],
                ["method3", {}, "c3"],
            ],
        }
    )
    request = parse_request(body, LIMITS)
    assert request.using == (CORE, "urn:ietf:params:jmap:mail")
    assert request.method_calls == (
        Invocation("method1", {"arg1": "arg1data", "arg2": "arg2data"}, "c1"),
        Invocation("method2", {"arg1": "arg1data"}, "c2"),
        Invocation("method3", {}, "c3"),
    )
    assert request.created_ids is None


def test_created_ids_are_kept_and_unknown_properties_ignored() -> None:
    body = encode(
        {
            "using": [],
            "methodCalls": [],
            "createdIds": {"k1": "A1", "k2": "B2"},
            "futureExtension": {"anything": [1, 2]},
        }
    )
    request = parse_request(body, LIMITS)
    assert request.created_ids == {"k1": "A1", "k2": "B2"}


def test_empty_created_ids_is_not_absent() -> None:
    request = parse_request(encode({"using": [], "methodCalls": [], "createdIds": {}}), LIMITS)
    assert request.created_ids == {}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b'{"using": [], "methodCalls": [],}',
        b"\xff\xfe{}",
        b'{"using": ["\xc3\x28"], "methodCalls": []}',
        b'{"using": ["\\ud800"], "methodCalls": []}',
        b'{"using": [], "methodCalls": [], "x": NaN}',
    ],
    ids=[
        "empty",
        "truncated",
        "text",
        "trailing-comma",
        "utf16-bom",
        "invalid-utf8",
        "lone-surrogate",
        "nan",
    ],
)
def test_not_json(body: bytes) -> None:
    with pytest.raises(RequestError) as info:
        parse_request(body, LIMITS)
    assert info.value.type == "notJSON"
    assert info.value.status == 400
    assert info.value.to_json()["type"] == "urn:ietf:params:jmap:error:notJSON"


@pytest.mark.parametrize(
    ("obj", "detail"),
    [
        ([], "must be a JSON object"),
        ("request", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"methodCalls": []}, "no 'using'"),
        ({"using": []}, "no 'methodCalls'"),
        ({"using": CORE, "methodCalls": []}, "'using' must be an array"),
        ({"using": [CORE, 1], "methodCalls": []}, "'using'[1] must be a string"),
        ({"using": [], "methodCalls": {}}, "'methodCalls' must be an array"),
        ({"using": [], "methodCalls": [["Core/echo", {}]]}, "'methodCalls'[0] must be a"),
        (
            {"using": [], "methodCalls": [["Core/echo", {}, "c1", "x"]]},
            "'methodCalls'[0] must be a",
        ),
        ({"using": [], "methodCalls": ["Core/echo"]}, "'methodCalls'[0] must be a"),
        ({"using": [], "methodCalls": [[1, {}, "c1"]]}, "method name must be a string"),
        ({"using": [], "methodCalls": [["Core/echo", [], "c1"]]}, "arguments must be an object"),
        ({"using": [], "methodCalls": [["Core/echo", {}, 7]]}, "call id must be a string"),
        ({"using": [], "methodCalls": [], "createdIds": []}, "'createdIds' must be an object"),
        (
            {"using": [], "methodCalls": [], "createdIds": {"k1": 5}},
            "'createdIds'['k1'] must be a string",
        ),
    ],
)
def test_not_request(obj: Any, detail: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_request(encode(obj), LIMITS)
    assert info.value.type == "notRequest"
    assert info.value.status == 400
    assert detail in info.value.detail


def test_max_size_request_is_413_with_limit() -> None:
    limits = CoreLimits(max_size_request=100)
    body = encode({"using": [], "methodCalls": [["Core/echo", {"x": "y" * 100}, "c1"]]})
    with pytest.raises(RequestError) as info:
        parse_request(body, limits)
    problem = info.value.to_json()
    assert problem["type"] == "urn:ietf:params:jmap:error:limit"
    assert problem["limit"] == "maxSizeRequest"
    assert problem["status"] == 413


def test_body_exactly_at_max_size_is_accepted() -> None:
    body = encode({"using": [], "methodCalls": []})
    assert parse_request(body, CoreLimits(max_size_request=len(body))).method_calls == ()


def test_max_calls_in_request() -> None:
    limits = CoreLimits(max_calls_in_request=2)
    calls = [["Core/echo", {}, f"c{i}"] for i in range(3)]
    with pytest.raises(RequestError) as info:
        request_from_object({"using": [CORE], "methodCalls": calls}, limits)
    problem = info.value.to_json()
    assert problem["type"] == "urn:ietf:params:jmap:error:limit"
    assert problem["limit"] == "maxCallsInRequest"
    assert request_from_object({"using": [CORE], "methodCalls": calls[:2]}, limits)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_raise_request_error(body: bytes) -> None:
    try:
        parse_request(body, LIMITS)
    except RequestError as error:
        assert error.type in {"notJSON", "notRequest", "limit"}


@given(json_values)
def test_arbitrary_json_parses_or_raises_request_error(obj: Any) -> None:
    try:
        parse_request(encode(obj), LIMITS)
    except RequestError as error:
        assert error.type in {"notRequest", "limit"}


@given(
    json_values
    | st.fixed_dictionaries(
        {"using": st.lists(json_values | st.text(), max_size=3)},
        optional={
            "methodCalls": st.lists(
                st.lists(json_values | st.text() | st.just({}), min_size=2, max_size=4)
                | json_values,
                max_size=3,
            ),
            "createdIds": st.dictionaries(st.text(), json_values | st.text(), max_size=3)
            | json_values,
        },
    )
)
def test_near_miss_requests_raise_only_request_errors(obj: Any) -> None:
    try:
        request_from_object(obj, LIMITS)
    except RequestError as error:
        assert error.type in {"notRequest", "limit"}


invocations = st.tuples(
    st.text(),
    st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    st.text(max_size=10),
)


@given(
    using=st.lists(st.text(max_size=30), max_size=4),
    calls=st.lists(invocations, max_size=LIMITS.max_calls_in_request),
    created_ids=st.none() | st.dictionaries(st.text(max_size=8), st.text(max_size=8)),
)
def test_valid_requests_round_trip(
    using: list[str],
    calls: list[tuple[str, dict[str, Any], str]],
    created_ids: dict[str, str] | None,
) -> None:
    obj: dict[str, Any] = {"using": using, "methodCalls": [list(call) for call in calls]}
    if created_ids is not None:
        obj["createdIds"] = created_ids
    request = parse_request(encode(obj), LIMITS)
    assert list(request.using) == using
    assert [(c.name, c.arguments, c.call_id) for c in request.method_calls] == calls
    assert request.created_ids == created_ids
