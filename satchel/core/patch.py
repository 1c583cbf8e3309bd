"""PatchObject (RFC 8620 section 5.3): parse JSON-pointer keys and apply them to an object.

The rules enforced here make a patch an `invalidPatch`: a key that is not a valid pointer, a
pointer through a missing intermediate or into an array, and two pointers where one is a prefix of
the other. What a patched property may contain is the data type's business, checked afterwards.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from satchel.core.errors import SetError

JsonObject = dict[str, Any]


class PatchError(SetError):
    """The PatchObject is not a valid patch (SetError `invalidPatch`)."""

    def __init__(self, description: str) -> None:
        super().__init__("invalidPatch", description)


def parse_pointer(key: str) -> tuple[str, ...]:
    """A PatchObject key is a JSON Pointer with an implicit leading "/" (RFC 6901: "~1" is "/",
    "~0" is "~", and "~" followed by anything else is an error)."""
    parts = []
    for raw in key.split("/"):
        if "~" in raw.replace("~0", "").replace("~1", ""):
            raise PatchError(f"bad escape in patch path {key!r}")
        parts.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class PatchResult:
    obj: JsonObject
    touched: frozenset[str]  # top-level properties the patch addressed


def parse_patch(patch: object) -> list[tuple[tuple[str, ...], Any]]:
    """Validate a PatchObject's shape and return its (path, value) pairs."""
    if not isinstance(patch, Mapping):
        raise PatchError("a PatchObject must be a JSON object")
    entries = []
    for key, value in patch.items():
        if not isinstance(key, str):
            raise PatchError("patch keys must be strings")
        entries.append((parse_pointer(key), value))
    # RFC 8620 section 5.3: no pointer may be the prefix of another.
    paths = sorted(path for path, _ in entries)
    for shorter, longer in itertools.pairwise(paths):
        if longer[: len(shorter)] == shorter:
            raise PatchError(f"patch paths {'/'.join(shorter)!r} and {'/'.join(longer)!r} overlap")
    return entries


def apply_patch(obj: JsonObject, patch: object) -> PatchResult:
    """Apply a PatchObject to a copy of `obj`. A null value removes the addressed key (the caller
    restores a top-level property's default). Raises PatchError (invalidPatch)."""
    entries = parse_patch(patch)
    touched = frozenset(path[0] for path, _ in entries)
    result = dict(obj)
    for name in touched:
        if name in result:
            result[name] = copy.deepcopy(result[name])
    for path, value in entries:
        parent: Any = result
        for depth, part in enumerate(path[:-1]):
            if isinstance(parent, list):
                raise PatchError(f"patch path {'/'.join(path)!r} points inside an array")
            if not isinstance(parent, dict) or part not in parent:
                where = "/".join(path[: depth + 1])
                raise PatchError(f"patch path {'/'.join(path)!r}: {where!r} does not exist")
            parent = parent[part]
        last = path[-1]
        if isinstance(parent, list):
            raise PatchError(f"patch path {'/'.join(path)!r} points inside an array")
        if not isinstance(parent, dict):
            raise PatchError(f"patch path {'/'.join(path)!r}: parent is not an object")
        if value is None:
            parent.pop(last, None)
        else:
            parent[last] = copy.deepcopy(value)
    return PatchResult(result, touched)
