"""PatchObject (RFC 8620 section 5.3) applied by satchel.core.patch."""

from __future__ import annotations

from typing import Any

import pytest

from satchel.core.patch import PatchError, apply_patch, parse_pointer

OBJ: dict[str, Any] = {
    "title": "t",
    "keywords": {"a": True, "b": True},
    "alerts": {"1": {"offset": 5, "action": "x"}},
    "list": [1, {"x": 1}],
    "nothing": None,
}


def test_whole_property_replacement_and_addition() -> None:
    result = apply_patch(OBJ, {"title": "new", "extra": 1})
    assert result.obj["title"] == "new" and result.obj["extra"] == 1
    assert result.touched == {"title", "extra"}


def test_nested_path_sets_one_key_and_leaves_the_original_alone() -> None:
    result = apply_patch(OBJ, {"keywords/c": True, "alerts/1/offset": 7})
    assert result.obj["keywords"] == {"a": True, "b": True, "c": True}
    assert result.obj["alerts"]["1"] == {"offset": 7, "action": "x"}
    assert OBJ["keywords"] == {"a": True, "b": True}
    assert OBJ["alerts"]["1"]["offset"] == 5


def test_null_removes_and_missing_key_is_a_noop() -> None:
    result = apply_patch(OBJ, {"keywords/a": None, "keywords/zz": None, "title": None})
    assert result.obj["keywords"] == {"b": True}
    assert "title" not in result.obj


def test_escapes_tilde_one_is_slash_and_tilde_zero_is_tilde() -> None:
    assert parse_pointer("a~1b/c~0d/~01") == ("a/b", "c~d", "~1")
    result = apply_patch({"m": {}}, {"m/a~1b": 1, "m/c~0d": 2})
    assert result.obj["m"] == {"a/b": 1, "c~d": 2}


@pytest.mark.parametrize("key", ["a~2", "a~", "~x/b"])
def test_bad_escape_is_invalid_patch(key: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(OBJ, {key: 1})
    assert caught.value.type == "invalidPatch"


@pytest.mark.parametrize(
    "patch",
    [
        {"alerts/1/offset": 1, "alerts": {}},
        {"keywords": {}, "keywords/a": True},
        {"alerts/1": {}, "alerts/1/action": "y"},
    ],
)
def test_path_and_its_prefix_together_is_invalid_patch(patch: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(OBJ, patch)


def test_sibling_paths_with_common_text_are_fine() -> None:
    result = apply_patch(OBJ, {"keywords/a": None, "keywordsX": 1})
    assert result.obj["keywordsX"] == 1


@pytest.mark.parametrize(
    "patch",
    [
        {"missing/x": 1},  # intermediate does not exist
        {"alerts/2/offset": 1},
        {"list/0": 5},  # inside an array
        {"list/1/x": 5},
        {"title/x": 1},  # through a string
        {"nothing/x": 1},  # through null
    ],
)
def test_bad_paths_are_invalid_patch(patch: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(OBJ, patch)


@pytest.mark.parametrize("patch", [None, [], "title", 5])
def test_patch_must_be_an_object(patch: Any) -> None:
    with pytest.raises(PatchError):
        apply_patch(OBJ, patch)
