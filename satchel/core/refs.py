"""Result references (RFC 8620 section 3.7): an argument `#foo` whose value is a ResultReference
{resultOf, name, path} takes its value from an earlier response in the same request.

The path is a JSON Pointer (RFC 6901) extended with `*`, which maps the rest of the pointer over
an array and flattens arrays of arrays. Pure functions over decoded JSON; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from satchel.core.errors import MethodError, invalid_arguments


class PointerError(ValueError):
    """A JSON Pointer that is malformed or does not resolve in the document."""


def resolve_arguments(
    arguments: dict[str, Any], responses: Sequence[Sequence[Any]]
) -> dict[str, Any]:
    """Return the arguments with every `#name` reference replaced by `name` and its value.

    `responses` are the methodResponses so far, each [name, arguments, callId]. Raises
    MethodError invalidArguments when both `foo` and `#foo` are given, invalidResultReference
    when a reference is malformed or does not resolve (RFC 8620 section 3.7)."""
    if not any(key.startswith("#") for key in arguments):
        return dict(arguments)
    resolved: dict[str, Any] = {}
    for key, value in arguments.items():
        if not key.startswith("#"):
            resolved[key] = value
            continue
        plain = key[1:]
        # RFC 8620 section 3.7: `foo` and `#foo` together -> invalidArguments.
        if plain in arguments:
            raise invalid_arguments(f"argument {plain!r} is given both directly and as {key!r}")
        resolved[plain] = resolve_reference(value, responses, key)
    return resolved


def resolve_reference(reference: Any, responses: Sequence[Sequence[Any]], key: str = "#") -> Any:
    """The value a ResultReference selects. The result is a fresh copy: the method it is given to
    may change it without changing the earlier response it came from."""
    if not isinstance(reference, dict):
        raise _invalid(f"{key}: a ResultReference must be an object")
    result_of = _reference_string(reference, "resultOf", key)
    name = _reference_string(reference, "name", key)
    path = _reference_string(reference, "path", key)
    # Step 1: the first response with that method call id.
    for response in responses:
        if response[2] == result_of:
            break
    else:
        raise _invalid(f"{key}: no earlier response has call id {result_of!r}")
    # Step 2: its name must be the one asked for.
    if response[0] != name:
        raise _invalid(f"{key}: the response to {result_of!r} is {response[0]!r}, not {name!r}")
    # Step 3: apply the path to its arguments.
    try:
        return _copy_json(evaluate_pointer(response[1], path))
    except PointerError as exc:
        raise _invalid(f"{key}: path {path!r}: {exc}") from None
    except RecursionError:
        raise _invalid(f"{key}: the value at path {path!r} is nested too deeply") from None


def _reference_string(reference: dict[str, Any], prop: str, key: str) -> str:
    value = reference.get(prop)
    if not isinstance(value, str):
        raise _invalid(f"{key}: the ResultReference's {prop!r} must be a string")
    return value


def parse_pointer(path: str) -> list[str]:
    """Split a JSON Pointer into unescaped reference tokens (RFC 6901 sections 3 and 4)."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise PointerError("a JSON Pointer is empty or starts with '/'")
    tokens = path[1:].split("/")
    return [_unescape(token) for token in tokens]


def evaluate_pointer(document: Any, path: str) -> Any:
    """Evaluate a JSON Pointer with the `*` extension of RFC 8620 section 3.7 step 3."""
    return _evaluate(document, parse_pointer(path), 0)


def _unescape(token: str) -> str:
    # RFC 6901 section 4: "~1" -> "/" first, then "~0" -> "~"; any other "~" is an error.
    if "~" not in token:
        return token
    index = token.find("~")
    while index != -1:
        if token[index + 1 : index + 2] not in ("0", "1"):
            raise PointerError(f"bad escape in token {token!r}: '~' must be followed by 0 or 1")
        index = token.find("~", index + 2)
    return token.replace("~1", "/").replace("~0", "~")


def _evaluate(value: Any, tokens: list[str], start: int) -> Any:
    for position in range(start, len(tokens)):
        token = tokens[position]
        if isinstance(value, dict):
            if token not in value:
                raise PointerError(f"no property {token!r}")
            value = value[token]
        elif isinstance(value, list | tuple):
            if token == "*":
                # RFC 8620 section 3.7: map the rest over the array, flattening arrays.
                mapped: list[Any] = []
                for item in value:
                    result = _evaluate(item, tokens, position + 1)
                    if isinstance(result, list | tuple):
                        mapped.extend(result)
                    else:
                        mapped.append(result)
                return mapped
            value = value[_array_index(token, len(value))]
        else:
            raise PointerError(f"token {token!r} points into a value that is not a container")
    return value


def _array_index(token: str, length: int) -> int:
    # RFC 6901 section 4: array-index = "0" / ( %x31-39 *DIGIT ); "-" names no element.
    if not token.isascii() or not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PointerError(f"{token!r} is not an array index")
    index = int(token)
    if index >= length:
        raise PointerError(f"index {index} is past the end of an array of {length}")
    return index


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_json(item) for item in value]
    return value


def _invalid(description: str) -> MethodError:
    return MethodError("invalidResultReference", description)
