"""The user name rule the CLI enforces."""

from __future__ import annotations

import pytest

from satchel.auth.usernames import username_problem


@pytest.mark.parametrize("name", ["admin", "a", "bob.smith", "x_y-z", "0", "a" * 64])
def test_valid(name: str) -> None:
    assert username_problem(name) is None


@pytest.mark.parametrize("name", ["", "Admin", "bob smith", "a@b", "a" * 65, "é", "a/b", "a:b"])
def test_invalid(name: str) -> None:
    problem = username_problem(name)
    assert problem is not None and problem
