"""Junk filters and sorts (any JSON shape, any condition name the RFC lists) get
UnsupportedFilter or ValueError from the store, never another exception, and never a change."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mail_index_support import run_query

from satchel.store.base import Store
from satchel.store.mail_base import UnsupportedFilter

NAMES = [
    "inMailbox", "inMailboxOtherThan", "before", "after", "minSize", "maxSize",
    "allInThreadHaveKeyword", "someInThreadHaveKeyword", "noneInThreadHaveKeyword",
    "hasKeyword", "notKeyword", "hasAttachment", "text", "from", "to", "cc", "bcc", "subject",
    "body", "header",
]  # fmt: skip
SORTS = [
    "receivedAt", "sentAt", "size", "from", "to", "subject", "hasKeyword",
    "allInThreadHaveKeyword", "someInThreadHaveKeyword",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["inbox", "$seen", "2020-01-01T00:00:00Z", "2020-13-45T99:00:00Z", '"']),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
conditions = st.dictionaries(st.sampled_from(NAMES), values, max_size=3)
filters: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), conditions),
    lambda inner: st.fixed_dictionaries(
        {
            "operator": st.sampled_from(["AND", "OR", "NOT", "XOR", 1]),
            "conditions": st.lists(inner, max_size=3),
        }
    ),
    max_leaves=6,
)
sorts = st.lists(
    st.tuples(st.sampled_from(SORTS), st.booleans(), st.one_of(st.none(), st.text(max_size=5))),
    max_size=3,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filter=filters, sort=sorts, position=st.integers(-20, 20), collapse=st.booleans())
def test_junk_never_escapes_as_another_error(
    store: Store, mail_account: str, filter: Any, sort: Any, position: int, collapse: bool
) -> None:
    try:
        result = run_query(
            store, mail_account, filter, sort=sort, position=position, limit=5, collapse=collapse
        )
    except (UnsupportedFilter, ValueError):
        return
    assert set(result.ids) <= set("abcdefgh")
    assert result.total is not None and 0 <= result.total <= 8


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filter=filters)
def test_junk_filters_give_snippets_or_unsupported_filter(
    store: Store, mail_account: str, filter: Any
) -> None:
    try:
        found = store.read_sync(lambda txn: txn.search_snippets(mail_account, list("ah"), filter))
    except UnsupportedFilter:
        return
    assert set(found) == {"a", "h"}
