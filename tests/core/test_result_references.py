"""Result references (RFC 8620 section 3.7) and the JSON Pointer they use (RFC 6901 plus `*`)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.core.errors import MethodError
from satchel.core.refs import PointerError, evaluate_pointer, parse_pointer, resolve_arguments

# The methodResponses of the RFC's second example, after the first three calls.
MAIL_RESPONSES: list[list[Any]] = [
    [
        "Email/query",
        {
            "accountId": "A1",
            "queryState": "abcdefg",
            "canCalculateChanges": True,
            "position": 0,
            "total": 101,
            "ids": ["msg1023", "msg223", "msg110"],
        },
        "t0",
    ],
    [
        "Email/get",
        {
            "accountId": "A1",
            "state": "123456",
            "list": [
                {"id": "msg1023", "threadId": "trd194"},
                {"id": "msg223", "threadId": "trd114"},
            ],
            "notFound": [],
        },
        "t1",
    ],
    [
        "Thread/get",
        {
            "accountId": "A1",
            "state": "123456",
            "list": [
                {"id": "trd194", "emailIds": ["msg1020", "msg1021", "msg1023"]},
                {"id": "trd114", "emailIds": ["msg201", "msg223"]},
            ],
            "notFound": [],
        },
        "t2",
    ],
]


def ref(result_of: str, name: str, path: str) -> dict[str, str]:
    return {"resultOf": result_of, "name": name, "path": path}


def test_rfc_simple_example() -> None:
    responses: list[list[Any]] = [
        [
            "Foo/changes",
            {
                "accountId": "A1",
                "oldState": "abcdef",
                "newState": "123456",
                "hasMoreChanges": False,
                "created": ["f1", "f4"],
                "updated": [],
                "destroyed": [],
            },
            "t0",
        ]
    ]
    args = {"accountId": "A1", "#ids": ref("t0", "Foo/changes", "/created")}
    assert resolve_arguments(args, responses) == {"accountId": "A1", "ids": ["f1", "f4"]}


def test_rfc_mail_example_chains_through_star() -> None:
    get_threads = {"accountId": "A1", "#ids": ref("t1", "Email/get", "/list/*/threadId")}
    assert resolve_arguments(get_threads, MAIL_RESPONSES)["ids"] == ["trd194", "trd114"]
    get_emails = {
        "accountId": "A1",
        "#ids": ref("t2", "Thread/get", "/list/*/emailIds"),
        "properties": ["from", "receivedAt", "subject"],
    }
    assert resolve_arguments(get_emails, MAIL_RESPONSES) == {
        "accountId": "A1",
        "ids": ["msg1020", "msg1021", "msg1023", "msg201", "msg223"],
        "properties": ["from", "receivedAt", "subject"],
    }


def test_arguments_without_references_are_returned_as_is() -> None:
    args = {"accountId": "A1", "ids": None}
    assert resolve_arguments(args, []) == args


def test_first_response_with_the_call_id_is_used() -> None:
    responses: list[list[Any]] = [
        ["Foo/copy", {"created": {"k1": {"id": "x"}}}, "c0"],
        ["Foo/set", {"destroyed": ["a"]}, "c0"],
    ]
    good = {"#ids": ref("c0", "Foo/copy", "/created/k1/id")}
    assert resolve_arguments(good, responses) == {"ids": "x"}
    # The implicit Foo/set is not the first response to c0: step 2 fails.
    bad = {"#ids": ref("c0", "Foo/set", "/destroyed")}
    with pytest.raises(MethodError) as info:
        resolve_arguments(bad, responses)
    assert info.value.type == "invalidResultReference"


def test_resolved_values_are_copies() -> None:
    args = resolve_arguments({"#ids": ref("t0", "Email/query", "/ids")}, MAIL_RESPONSES)
    args["ids"].append("mutated")
    assert "mutated" not in MAIL_RESPONSES[0][1]["ids"]


def test_plain_and_referenced_form_together_is_invalid_arguments() -> None:
    args = {"ids": ["a"], "#ids": ref("t0", "Email/query", "/ids")}
    with pytest.raises(MethodError) as info:
        resolve_arguments(args, MAIL_RESPONSES)
    assert info.value.type == "invalidArguments"


@pytest.mark.parametrize(
    "reference",
    [
        "t0",
        None,
        ["t0", "Email/query", "/ids"],
        {"name": "Email/query", "path": "/ids"},
        {"resultOf": "t0", "path": "/ids"},
        {"resultOf": "t0", "name": "Email/query"},
        {"resultOf": 0, "name": "Email/query", "path": "/ids"},
        {"resultOf": "t0", "name": "Email/query", "path": 1},
        ref("nope", "Email/query", "/ids"),
        ref("t0", "Email/get", "/ids"),
        ref("t0", "Email/query", "/missing"),
        ref("t0", "Email/query", "ids"),
        ref("t0", "Email/query", "/ids/3"),
        ref("t0", "Email/query", "/ids/-"),
        ref("t0", "Email/query", "/ids/01"),
        ref("t0", "Email/query", "/ids/x"),
        ref("t0", "Email/query", "/total/x"),
        ref("t0", "Email/query", "/ids/~2"),
        ref("t0", "Email/query", "/ids/0/x"),
        ref("t1", "Email/get", "/list/*/missing"),
    ],
)
def test_unresolvable_references_are_invalid_result_reference(reference: Any) -> None:
    with pytest.raises(MethodError) as info:
        resolve_arguments({"#ids": reference}, MAIL_RESPONSES)
    assert info.value.type == "invalidResultReference"


def test_reference_to_an_error_response_fails() -> None:
    responses: list[list[Any]] = [["error", {"type": "unknownMethod"}, "c1"]]
    with pytest.raises(MethodError) as info:
        resolve_arguments({"#ids": ref("c1", "Foo/query", "/ids")}, responses)
    assert info.value.type == "invalidResultReference"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # RFC 6901 section 5's examples.
        ("", None),
        ("/foo", ["bar", "baz"]),
        ("/foo/0", "bar"),
        ("/", 0),
        ("/a~1b", 1),
        ("/c%d", 2),
        ("/e^f", 3),
        ("/g|h", 4),
        ("/i\\j", 5),
        ('/k"l', 6),
        ("/ ", 7),
        ("/m~0n", 8),
    ],
)
def test_rfc6901_examples(path: str, expected: Any) -> None:
    document = {
        "foo": ["bar", "baz"],
        "": 0,
        "a/b": 1,
        "c%d": 2,
        "e^f": 3,
        "g|h": 4,
        "i\\j": 5,
        'k"l': 6,
        " ": 7,
        "m~n": 8,
    }
    assert evaluate_pointer(document, path) == (document if path == "" else expected)


def test_escapes_apply_in_order() -> None:
    # "~01" is "~1" unescaped, never "/".
    assert parse_pointer("/~01") == ["~1"]
    assert evaluate_pointer({"~1": "tilde-one", "/": "slash"}, "/~01") == "tilde-one"


def test_star_flattens_one_level_per_star_and_maps_scalars() -> None:
    document = {"a": [[1, 2], [3], []], "b": [{"c": [[1]]}, {"c": [[2, 3]]}]}
    assert evaluate_pointer(document, "/a/*") == [1, 2, 3]
    assert evaluate_pointer(document, "/a/*/*") == [1, 2, 3]
    assert evaluate_pointer(document, "/b/*/c") == [[1], [2, 3]]
    assert evaluate_pointer(document, "/b/*/c/*") == [1, 2, 3]
    assert evaluate_pointer({"a": []}, "/a/*/x") == []


def test_star_is_an_ordinary_key_in_objects() -> None:
    assert evaluate_pointer({"*": {"x": 1}}, "/*/x") == 1
    with pytest.raises(PointerError):
        evaluate_pointer({"a": {"b": 1}}, "/a/*")


# --- properties -----------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=25,
)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@given(documents, st.data())
def test_pointer_to_any_node_resolves_to_it(document: Any, data: st.DataObject) -> None:
    tokens: list[str] = []
    node = document
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        if isinstance(node, dict):
            key = data.draw(st.sampled_from(sorted(node)))
            tokens.append(escape(key))
            node = node[key]
        else:
            index = data.draw(st.integers(0, len(node) - 1))
            tokens.append(str(index))
            node = node[index]
    path = "".join("/" + token for token in tokens)
    assert evaluate_pointer(document, path) == node


@given(st.lists(st.dictionaries(st.sampled_from(["x", "y"]), scalars), max_size=5))
def test_star_maps_like_a_comprehension(items: list[dict[str, Any]]) -> None:
    responses: list[list[Any]] = [["Foo/get", {"list": items}, "c0"]]
    args = {"#ids": ref("c0", "Foo/get", "/list/*/x")}
    if all("x" in item for item in items):
        assert resolve_arguments(args, responses)["ids"] == [item["x"] for item in items]
    else:
        with pytest.raises(MethodError):
            resolve_arguments(args, responses)


small = st.sampled_from(["a", "b", "c0", "*", "0", "1", "~0", "~1", "~", ""])
paths = st.lists(small, max_size=4).map(lambda tokens: "".join("/" + t for t in tokens))
references = st.fixed_dictionaries(
    {"resultOf": st.sampled_from(["c0", "c1", "x"]), "name": st.sampled_from(["Foo/get", "error"])},
    optional={"path": paths | st.text(max_size=4) | documents},
)


@given(
    st.dictionaries(
        st.sampled_from(["ids", "#ids", "#a", "a", "##a"]) | st.text(max_size=4),
        references | documents,
        max_size=4,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["Foo/get", "error"]),
            st.dictionaries(small, documents, max_size=4),
            st.sampled_from(["c0", "c1"]),
        ),
        max_size=3,
    ),
)
def test_arbitrary_arguments_resolve_or_raise_method_error(
    args: dict[str, Any], responses: list[tuple[str, Any, str]]
) -> None:
    try:
        resolved = resolve_arguments(args, [list(r) for r in responses])
    except MethodError as error:
        assert error.type in {"invalidArguments", "invalidResultReference"}
    else:
        # Each argument yields exactly one: a collision is invalidArguments, never a silent loss.
        assert len(resolved) == len(args)


@given(st.text(max_size=30), documents)
def test_arbitrary_pointers_resolve_or_raise_pointer_error(path: str, document: Any) -> None:
    with contextlib.suppress(PointerError):
        evaluate_pointer(document, path)
