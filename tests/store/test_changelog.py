"""Foo/changes classification (RFC 8620 section 5.2) driven from tables, as Stalwart does:
a list of write transactions, then (sinceState, maxChanges) -> expected created / updated /
destroyed, new state and hasMoreChanges.

Every transaction in a scenario changes something, on a fresh account, so transaction n
commits at modseq n and states in the tables are transaction numbers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satchel.store.base import CannotCalculateChanges, Changes, Store, WriteTxn

TYPE = "Foo"
Action = tuple[str, str]  # ("create" | "update" | "destroy" | "touch", id)


def apply(txn: WriteTxn, actions: list[Action]) -> None:
    for verb, record_id in actions:
        if verb == "create":
            txn.create_record(TYPE, record_id, {"v": 0})
        elif verb == "update":
            current = txn.get_records(txn.account_id, TYPE, [record_id])[0].data["v"]
            txn.update_record(TYPE, record_id, {"v": current + 1})
        elif verb == "destroy":
            txn.destroy_record(TYPE, record_id)
        elif verb == "touch":
            txn.touch_type(TYPE)
        else:
            raise AssertionError(verb)


def run(store: Store, account_id: str, transactions: list[list[Action]]) -> None:
    for number, actions in enumerate(transactions, start=1):
        _, commit = store.write_sync(account_id, lambda txn, a=actions: apply(txn, a))
        assert commit.modseq == number


def changes(store: Store, account_id: str, since: int, max_changes: int | None) -> Changes:
    return store.read_sync(lambda txn: txn.changes_since(account_id, TYPE, since, max_changes))


@dataclass(frozen=True)
class Expect:
    created: set[str]
    updated: set[str]
    destroyed: set[str]
    state: int
    has_more: bool = False


def check(got: Changes, want: Expect) -> None:
    assert (set(got.created), set(got.updated), set(got.destroyed)) == (
        want.created,
        want.updated,
        want.destroyed,
    )
    assert len(got.created) + len(got.updated) + len(got.destroyed) == len(
        want.created | want.updated | want.destroyed
    ), "an id is reported once"
    assert (got.new_modseq, got.has_more) == (want.state, want.has_more)


# (name, transactions, [(since, maxChanges, expected)])
CLASSIFICATION = [
    (
        "create",
        [[("create", "a")]],
        [(0, None, Expect({"a"}, set(), set(), 1)), (1, None, Expect(set(), set(), set(), 1))],
    ),
    (
        "update after create is reported as created",
        [[("create", "a")], [("update", "a")]],
        [(0, None, Expect({"a"}, set(), set(), 2)), (1, None, Expect(set(), {"a"}, set(), 2))],
    ),
    (
        "create and update in one transaction",
        [[("create", "a"), ("update", "a")]],
        [(0, None, Expect({"a"}, set(), set(), 1))],
    ),
    (
        "created and destroyed since the state is not reported",
        [[("create", "a")], [("destroy", "a")]],
        [(0, None, Expect(set(), set(), set(), 2)), (1, None, Expect(set(), set(), {"a"}, 2))],
    ),
    (
        "created and destroyed in one transaction",
        [[("create", "k")], [("create", "a"), ("destroy", "a")]],
        [(0, None, Expect({"k"}, set(), set(), 2)), (1, None, Expect(set(), set(), set(), 2))],
    ),
    (
        "updated then destroyed is destroyed",
        [[("create", "a")], [("update", "a")], [("destroy", "a")]],
        [(1, None, Expect(set(), set(), {"a"}, 3)), (2, None, Expect(set(), set(), {"a"}, 3))],
    ),
    (
        "mixed",
        [
            [("create", "a"), ("create", "b")],
            [("update", "a")],
            [("destroy", "b")],
            [("create", "c")],
        ],
        [
            (0, None, Expect({"a", "c"}, set(), set(), 4)),
            (1, None, Expect({"c"}, {"a"}, {"b"}, 4)),
            (2, None, Expect({"c"}, set(), {"b"}, 4)),
            (3, None, Expect({"c"}, set(), set(), 4)),
            (4, None, Expect(set(), set(), set(), 4)),
        ],
    ),
    (
        "touch advances the state with no ids",
        [[("create", "a")], [("touch", "")]],
        [(1, None, Expect(set(), set(), set(), 2)), (0, None, Expect({"a"}, set(), set(), 2))],
    ),
]

# Rows sit at their last change: b@1, c@2, a@3 (updated), d e f@4.
PAGING_TXNS: list[list[Action]] = [
    [("create", "a"), ("create", "b")],
    [("create", "c")],
    [("update", "a")],
    [("create", "d"), ("create", "e"), ("create", "f")],
]
PAGING = [
    (0, 1, Expect({"b"}, set(), set(), 1, True)),
    (0, 2, Expect({"b", "c"}, set(), set(), 2, True)),
    (0, 3, Expect({"a", "b", "c"}, set(), set(), 3, True)),
    (0, 5, Expect({"a", "b", "c"}, set(), set(), 3, True)),
    (0, 6, Expect({"a", "b", "c", "d", "e", "f"}, set(), set(), 4)),
    (0, 100, Expect({"a", "b", "c", "d", "e", "f"}, set(), set(), 4)),
    (2, 1, Expect(set(), {"a"}, set(), 3, True)),
    (3, 3, Expect({"d", "e", "f"}, set(), set(), 4)),
]


@pytest.mark.parametrize(
    ("transactions", "queries"),
    [(t, q) for _, t, q in CLASSIFICATION],
    ids=[name for name, _, _ in CLASSIFICATION],
)
def test_classification(
    store: Store,
    account_id: str,
    transactions: list[list[Action]],
    queries: list[tuple[int, int | None, Expect]],
) -> None:
    run(store, account_id, transactions)
    for since, max_changes, want in queries:
        check(changes(store, account_id, since, max_changes), want)


@pytest.mark.parametrize(("since", "max_changes", "want"), PAGING)
def test_max_changes_cuts_at_a_modseq_boundary(
    store: Store, account_id: str, since: int, max_changes: int, want: Expect
) -> None:
    run(store, account_id, PAGING_TXNS)
    check(changes(store, account_id, since, max_changes), want)


def test_one_modseq_larger_than_max_changes_cannot_be_calculated(
    store: Store, account_id: str
) -> None:
    run(store, account_id, PAGING_TXNS)
    with pytest.raises(CannotCalculateChanges):
        changes(store, account_id, 3, 2)  # d, e and f share modseq 4


def test_hidden_changes_do_not_count_against_max_changes(store: Store, account_id: str) -> None:
    run(store, account_id, [[("create", "x")], [("destroy", "x")], [("create", "y")]])
    check(changes(store, account_id, 0, 1), Expect({"y"}, set(), set(), 3))


def test_states_outside_the_log_cannot_be_calculated(store: Store, account_id: str) -> None:
    run(store, account_id, [[("create", "a")]])
    for since in (2, 1000, -1):
        with pytest.raises(CannotCalculateChanges):
            changes(store, account_id, since, None)


def test_purged_tombstones_raise_the_low_modseq(store: Store, account_id: str) -> None:
    run(
        store,
        account_id,
        [
            [("create", "a"), ("create", "b"), ("create", "c")],
            [("destroy", "a")],
            [("destroy", "b")],
        ],
    )
    purged, commit = store.write_sync(
        account_id, lambda txn: txn.purge_tombstones(account_id, TYPE, 3)
    )
    assert purged == 1  # a, destroyed at 2; b (at 3) stays
    assert not commit.changed_types, "purging is not a change clients see"
    state = store.read_sync(lambda txn: txn.type_state(account_id, TYPE))
    assert (state.low, state.high) == (3, 3)
    for since in (0, 1, 2):
        with pytest.raises(CannotCalculateChanges):
            changes(store, account_id, since, None)
    check(changes(store, account_id, 3, None), Expect(set(), set(), set(), 3))


def test_purge_keeps_the_tombstones_a_later_state_needs(store: Store, account_id: str) -> None:
    run(
        store,
        account_id,
        [[("create", "a"), ("create", "b")], [("destroy", "a")], [("destroy", "b")]],
    )
    store.write_sync(account_id, lambda txn: txn.purge_tombstones(account_id, TYPE, 2))
    assert store.read_sync(lambda txn: txn.type_state(account_id, TYPE)).low == 2
    check(changes(store, account_id, 2, None), Expect(set(), set(), {"b"}, 3))


def test_low_modseq_never_passes_the_state(store: Store, account_id: str) -> None:
    run(store, account_id, [[("create", "a")], [("destroy", "a")]])
    store.write_sync(account_id, lambda txn: txn.purge_tombstones(account_id, TYPE, 99))
    state = store.read_sync(lambda txn: txn.type_state(account_id, TYPE))
    assert (state.low, state.high) == (2, 2)
    check(changes(store, account_id, 2, None), Expect(set(), set(), set(), 2))


# --- against a model ----------------------------------------------------------------------------

_type_numbers = itertools.count()
_ids = st.sampled_from("abcdef")
_txn = st.lists(st.tuples(st.sampled_from(["create", "update", "destroy"]), _ids), max_size=4)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(transactions=st.lists(_txn, min_size=1, max_size=6), page=st.integers(1, 4))
def test_changes_match_a_model_and_paging_converges(
    store: Store, account_id: str, transactions: list[list[Action]], page: int
) -> None:
    """Random histories: one-shot changes equal the difference between the model's snapshots,
    and a client paging with maxChanges ends up knowing exactly the live records."""
    type_name = f"T{next(_type_numbers)}"
    alive: dict[str, int] = {}  # model: id -> version
    snapshots: list[tuple[int, dict[str, int]]] = [
        (store.read_sync(lambda txn: txn.type_state(account_id, type_name)).high, {})
    ]
    used: set[str] = set()

    def write(txn: WriteTxn, actions: list[Action]) -> None:
        for verb, name in actions:
            if verb == "create" and name not in used:
                used.add(name)
                alive[name] = 0
                txn.create_record(type_name, name, {"v": 0})
            elif verb == "update" and name in alive:
                alive[name] += 1
                txn.update_record(type_name, name, {"v": alive[name]})
            elif verb == "destroy" and name in alive:
                del alive[name]
                txn.destroy_record(type_name, name)

    for actions in transactions:
        _, commit = store.write_sync(account_id, lambda txn, a=actions: write(txn, a))
        if commit.changed_types:
            snapshots.append((commit.modseq, dict(alive)))

    high = snapshots[-1][0]
    for since, then in snapshots:
        got = store.read_sync(
            lambda txn, s=since: txn.changes_since(account_id, type_name, s, None)
        )
        assert set(got.created) == set(alive) - set(then)
        assert set(got.destroyed) == set(then) - set(alive)
        assert set(got.updated) == {i for i in set(alive) & set(then) if alive[i] != then[i]}
        assert (got.new_modseq, got.has_more) == (high, False)

        known, state, has_more = set(then), since, True
        while has_more:
            try:
                step = store.read_sync(
                    lambda txn, s=state: txn.changes_since(account_id, type_name, s, page)
                )
            except CannotCalculateChanges:
                break  # one modseq holds more than `page` ids: the client would resync
            assert step.new_modseq > state or (not step.has_more and step.new_modseq == state)
            known |= set(step.created) | set(step.updated)
            known -= set(step.destroyed)
            state, has_more = step.new_modseq, step.has_more
        else:
            assert known == set(alive)
            assert state == high
