"""The engine (RFC 8620 sections 3.3-3.7): capabilities, dispatch in order, method-level errors,
serverFail isolation, result references across calls and createdIds, driven through `process`
with a test registry and a real store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satchel.core import engine
from satchel.core.context import RequestContext
from satchel.core.core_methods import register_core
from satchel.core.errors import MethodError, RequestError
from satchel.core.limits import CoreLimits
from satchel.core.registry import Capability, JsonObject, MethodResponse, MethodSpec, Registry
from satchel.core.request import request_from_object
from satchel.core.session import build_session

MakeContext = Callable[..., RequestContext]

CORE = "urn:ietf:params:jmap:core"
TEST = "urn:example:test"
OTHER = "urn:example:other"


class Recorder:
    """Methods of the test capability; remembers the arguments each call received."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, JsonObject]] = []

    def registry(self) -> Registry:
        registry = Registry()
        register_core(registry, CoreLimits())
        registry.add_capability(Capability(uri=TEST))
        registry.add_capability(Capability(uri=OTHER))
        for name, handler in {
            "Foo/changes": self.foo_changes,
            "Foo/get": self.foo_get,
            "Foo/set": self.foo_set,
            "Foo/copy": self.foo_copy,
            "Foo/fail": self.foo_fail,
            "Foo/invalid": self.foo_invalid,
            "Foo/malformed": self.foo_malformed,
            "Email/query": self.email_query,
            "Email/get": self.email_get,
            "Thread/get": self.thread_get,
        }.items():
            registry.add_method(MethodSpec(name=name, capability=TEST, handler=handler))
        registry.add_method(MethodSpec(name="Bar/get", capability=OTHER, handler=self.foo_get))
        return registry

    def record(self, name: str, args: JsonObject) -> None:
        self.calls.append((name, args))

    async def foo_changes(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/changes", args)
        return [
            (
                "Foo/changes",
                {
                    "accountId": args["accountId"],
                    "oldState": args["sinceState"],
                    "newState": "123456",
                    "hasMoreChanges": False,
                    "created": ["f1", "f4"],
                    "updated": [],
                    "destroyed": [],
                },
            )
        ]

    async def foo_get(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/get", args)
        ids = args.get("ids") or []
        return [("Foo/get", {"list": [{"id": i} for i in ids], "notFound": []})]

    async def foo_set(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        """Creates every creation id it is given, as a /set would, into ctx.created_ids."""
        self.record("Foo/set", args)
        created: dict[str, Any] = {}
        for creation_id, obj in (args.get("create") or {}).items():
            # A value "#k" is a creation-id reference (RFC 8620 section 5.3).
            ref = obj.get("parent")
            if isinstance(ref, str) and ref.startswith("#"):
                if ref[1:] not in ctx.created_ids:
                    raise MethodError("invalidArguments", f"unknown creation id {ref}")
                obj = {**obj, "parent": ctx.created_ids[ref[1:]]}
            new_id = f"id-{creation_id}"
            ctx.created_ids[creation_id] = new_id
            created[creation_id] = {"id": new_id, **obj}
        return [("Foo/set", {"created": created or None})]

    async def foo_copy(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/copy", args)
        return [
            ("Foo/copy", {"created": {"k1": {"id": "DAf97"}}}),
            ("Foo/set", {"destroyed": ["a"]}),
        ]

    async def foo_fail(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/fail", args)
        raise RuntimeError("secret internal detail")

    async def foo_invalid(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/invalid", args)
        raise MethodError("invalidArguments", "bad ids", properties=["ids"])

    async def foo_malformed(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Foo/malformed", args)
        return [("Foo/malformed", ["not", "an", "object"])]  # type: ignore[list-item]

    async def email_query(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Email/query", args)
        return [("Email/query", {"accountId": "A1", "ids": ["msg1023", "msg223"]})]

    async def email_get(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Email/get", args)
        threads = {"msg1023": "trd194", "msg223": "trd114"}
        items = [{"id": i, "threadId": threads.get(i, "trd0")} for i in args["ids"]]
        return [("Email/get", {"accountId": "A1", "list": items, "notFound": []})]

    async def thread_get(self, ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        self.record("Thread/get", args)
        emails = {"trd194": ["msg1020", "msg1021", "msg1023"], "trd114": ["msg201", "msg223"]}
        items = [{"id": i, "emailIds": emails[i]} for i in args["ids"]]
        return [("Thread/get", {"accountId": "A1", "list": items, "notFound": []})]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


async def run(
    make_ctx: MakeContext,
    recorder: Recorder,
    calls: list[list[Any]],
    using: list[str] | None = None,
    created_ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"using": [CORE, TEST] if using is None else using, "methodCalls": calls}
    if created_ids is not None:
        obj["createdIds"] = created_ids
    request = request_from_object(obj, CoreLimits())
    return await engine.process(make_ctx(recorder.registry()), request)


async def test_core_echo_rfc_example(make_ctx: MakeContext, recorder: Recorder) -> None:
    response = await run(
        make_ctx, recorder, [["Core/echo", {"hello": True, "high": 5}, "b3ff"]], using=[CORE]
    )
    assert response["methodResponses"] == [["Core/echo", {"hello": True, "high": 5}, "b3ff"]]
    assert "createdIds" not in response


async def test_unknown_capability_rejects_the_request_before_any_call(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    with pytest.raises(RequestError) as info:
        await run(
            make_ctx,
            recorder,
            [["Foo/get", {}, "c1"]],
            using=[CORE, TEST, "https://example.com/apis/foobar"],
        )
    problem = info.value.to_json()
    assert problem["type"] == "urn:ietf:params:jmap:error:unknownCapability"
    assert problem["status"] == 400
    assert "https://example.com/apis/foobar" in problem["detail"]
    assert recorder.calls == []


async def test_using_is_set_on_the_context(make_ctx: MakeContext, recorder: Recorder) -> None:
    ctx = make_ctx(recorder.registry())
    request = request_from_object({"using": [CORE, TEST], "methodCalls": []}, CoreLimits())
    response = await engine.process(ctx, request)
    assert ctx.using == frozenset({CORE, TEST})
    assert response["methodResponses"] == []


async def test_unknown_method_and_unused_capability(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Nope/get", {}, "c1"],
            # Bar/get exists, but its capability is not in `using` (RFC 8620 section 3.6.2).
            ["Bar/get", {"ids": ["x"]}, "c2"],
            ["Foo/get", {"ids": ["y"]}, "c3"],
        ],
    )
    responses = response["methodResponses"]
    assert [r[0] for r in responses] == ["error", "error", "Foo/get"]
    assert responses[0][1]["type"] == "unknownMethod"
    assert responses[0][2] == "c1"
    assert responses[1][1]["type"] == "unknownMethod"
    assert responses[1][2] == "c2"
    assert responses[2] == ["Foo/get", {"list": [{"id": "y"}], "notFound": []}, "c3"]
    assert [name for name, _ in recorder.calls] == ["Foo/get"]


async def test_method_error_is_answered_and_the_request_goes_on(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx, recorder, [["Foo/invalid", {}, "c1"], ["Foo/get", {"ids": ["a"]}, "c2"]]
    )
    assert response["methodResponses"] == [
        [
            "error",
            {"type": "invalidArguments", "description": "bad ids", "properties": ["ids"]},
            "c1",
        ],
        ["Foo/get", {"list": [{"id": "a"}], "notFound": []}, "c2"],
    ]


async def test_server_fail_is_isolated_and_logged(
    make_ctx: MakeContext, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="satchel.core.engine"):
        response = await run(
            make_ctx,
            recorder,
            [
                ["Foo/get", {"ids": ["a"]}, "c0"],
                ["Foo/fail", {}, "c1"],
                ["Foo/malformed", {}, "c2"],
                ["Foo/get", {"ids": ["b"]}, "c3"],
            ],
        )
    responses = response["methodResponses"]
    assert [r[2] for r in responses] == ["c0", "c1", "c2", "c3"]
    assert responses[1][0] == "error"
    assert responses[1][1]["type"] == "serverFail"
    # The client learns that something failed, not the server's internals.
    assert "secret internal detail" not in responses[1][1]["description"]
    assert responses[2][0] == "error"
    assert responses[2][1]["type"] == "serverFail"
    assert responses[3] == ["Foo/get", {"list": [{"id": "b"}], "notFound": []}, "c3"]
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 2
    assert "secret internal detail" in str(failures[0].exc_info[1])  # type: ignore[index]


async def test_all_responses_of_one_call_share_its_id(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(make_ctx, recorder, [["Foo/copy", {}, "0"]])
    assert response["methodResponses"] == [
        ["Foo/copy", {"created": {"k1": {"id": "DAf97"}}}, "0"],
        ["Foo/set", {"destroyed": ["a"]}, "0"],
    ]


async def test_rfc_reference_example_changes_then_get(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Foo/changes", {"accountId": "A1", "sinceState": "abcdef"}, "t0"],
            [
                "Foo/get",
                {
                    "accountId": "A1",
                    "#ids": {"resultOf": "t0", "name": "Foo/changes", "path": "/created"},
                },
                "t1",
            ],
        ],
    )
    # The method saw the resolved argument, not the reference.
    assert recorder.calls[1] == ("Foo/get", {"accountId": "A1", "ids": ["f1", "f4"]})
    assert response["methodResponses"][1][1]["list"] == [{"id": "f1"}, {"id": "f4"}]


async def test_rfc_reference_example_chained_through_mail(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Email/query", {"accountId": "A1"}, "t0"],
            [
                "Email/get",
                {
                    "accountId": "A1",
                    "#ids": {"resultOf": "t0", "name": "Email/query", "path": "/ids"},
                    "properties": ["threadId"],
                },
                "t1",
            ],
            [
                "Thread/get",
                {
                    "accountId": "A1",
                    "#ids": {"resultOf": "t1", "name": "Email/get", "path": "/list/*/threadId"},
                },
                "t2",
            ],
            [
                "Email/get",
                {
                    "accountId": "A1",
                    "#ids": {"resultOf": "t2", "name": "Thread/get", "path": "/list/*/emailIds"},
                    "properties": ["from", "receivedAt", "subject"],
                },
                "t3",
            ],
        ],
    )
    assert recorder.calls[2][1]["ids"] == ["trd194", "trd114"]
    assert recorder.calls[3][1] == {
        "accountId": "A1",
        "ids": ["msg1020", "msg1021", "msg1023", "msg201", "msg223"],
        "properties": ["from", "receivedAt", "subject"],
    }
    assert [r[0] for r in response["methodResponses"]] == [
        "Email/query",
        "Email/get",
        "Thread/get",
        "Email/get",
    ]


async def test_bad_references_fail_only_their_call(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Foo/invalid", {}, "c0"],
            # A reference to an error response: its name is "error", not "Foo/invalid".
            ["Foo/get", {"#ids": {"resultOf": "c0", "name": "Foo/invalid", "path": "/ids"}}, "c1"],
            # A reference forward, to a call not yet processed.
            ["Foo/get", {"#ids": {"resultOf": "c4", "name": "Foo/get", "path": "/list"}}, "c2"],
            # Both forms of one argument.
            [
                "Foo/get",
                {"ids": [], "#ids": {"resultOf": "c0", "name": "error", "path": "/type"}},
                "c3",
            ],
            ["Foo/get", {"ids": ["z"]}, "c4"],
        ],
    )
    responses = response["methodResponses"]
    assert [(r[0], r[1].get("type"), r[2]) for r in responses] == [
        ("error", "invalidArguments", "c0"),
        ("error", "invalidResultReference", "c1"),
        ("error", "invalidResultReference", "c2"),
        ("error", "invalidArguments", "c3"),
        ("Foo/get", None, "c4"),
    ]
    assert [name for name, _ in recorder.calls] == ["Foo/invalid", "Foo/get"]


async def test_created_ids_round_trip(make_ctx: MakeContext, recorder: Recorder) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Foo/set", {"create": {"k2": {"parent": "#k1"}}}, "c1"],
            ["Foo/set", {"create": {"k3": {"parent": "#k2"}}}, "c2"],
        ],
        created_ids={"k1": "server-1"},
    )
    assert response["createdIds"] == {"k1": "server-1", "k2": "id-k2", "k3": "id-k3"}
    assert response["methodResponses"][0][1]["created"]["k2"]["parent"] == "server-1"
    assert response["methodResponses"][1][1]["created"]["k3"]["parent"] == "id-k2"


async def test_created_ids_absent_from_the_response_unless_requested(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    response = await run(
        make_ctx,
        recorder,
        [
            ["Foo/set", {"create": {"k1": {}}}, "c1"],
            ["Foo/set", {"create": {"k2": {"parent": "#k1"}}}, "c2"],
        ],
    )
    # Creation ids still resolve within the request...
    assert response["methodResponses"][1][1]["created"]["k2"]["parent"] == "id-k1"
    # ...but the map is only returned when the request carried one (RFC 8620 section 3.4).
    assert "createdIds" not in response
    empty = await run(make_ctx, recorder, [], created_ids={})
    assert empty["createdIds"] == {}


async def test_session_state_matches_the_session_object(
    make_ctx: MakeContext, recorder: Recorder
) -> None:
    registry = recorder.registry()
    ctx = make_ctx(registry)
    request = request_from_object(
        {"using": [CORE], "methodCalls": [["Core/echo", {}, "c"]]}, CoreLimits()
    )
    response = await engine.process(ctx, request)
    session = build_session(
        registry, ctx.limits, ctx.user, list(ctx.accounts.values()), "https://example.com"
    )
    assert response["sessionState"] == session["state"]


# --- property: whatever the calls, the engine answers each one, in order, and never raises ---

tokens = st.sampled_from(["a", "b", "*", "0", "1", "list", "~0", "~1", ""])
pointers = st.lists(tokens, max_size=3).map(lambda ts: "".join("/" + t for t in ts))
leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=4)
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "list", "0"]), children, max_size=3)
    ),
    max_leaves=12,
)
references = st.fixed_dictionaries(
    {
        "resultOf": st.sampled_from(["c0", "c1", "c2", "x"]),
        "name": st.sampled_from(["Core/echo", "error", "Nope/get"]),
        "path": pointers,
    }
)
arguments = st.dictionaries(
    st.sampled_from(["a", "#a", "b", "#b", "list", "#list"]), references | values, max_size=3
)
calls = st.lists(
    st.tuples(st.sampled_from(["Core/echo", "Nope/get"]), arguments), min_size=1, max_size=4
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)
@given(calls=calls)
def test_engine_answers_every_call_in_order(
    make_ctx: MakeContext, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    method_calls = [[name, args, f"c{i}"] for i, (name, args) in enumerate(calls)]
    request = request_from_object({"using": [CORE], "methodCalls": method_calls}, CoreLimits())
    ctx = make_ctx(Recorder().registry())
    response = asyncio.run(engine.process(ctx, request))
    answers = response["methodResponses"]
    assert [answer[2] for answer in answers] == [call[2] for call in method_calls]
    for (name, args), answer in zip(calls, answers, strict=True):
        if answer[0] == "error":
            expected = {"unknownMethod", "invalidArguments", "invalidResultReference"}
            assert answer[1]["type"] in expected
        else:
            assert answer[0] == name == "Core/echo"
            # Echo returns its arguments with every reference resolved to its plain name.
            assert set(answer[1]) == {key.lstrip("#") for key in args}
