"""The rule for user names: lowercase letters, digits, `.`, `_` and `-`, 1 to 64 characters.

Lowercase only, so that a name means one user however a client capitalises it, and a name is
safe in a URL, a file name and a mail address's local part.
"""

from __future__ import annotations

import re

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{1,64}")


def username_problem(name: str) -> str | None:
    """None when `name` is a valid user name, else a sentence saying what is wrong with it."""
    if not name:
        return "a user name cannot be empty"
    if len(name) > 64:
        return f"a user name has at most 64 characters (this one has {len(name)})"
    if USERNAME_PATTERN.fullmatch(name) is None:
        return f"invalid user name {name!r}: use only lowercase letters, digits, '.', '_' and '-'"
    return None
