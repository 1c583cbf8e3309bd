"""Change classification shared by every store backend: which ids a client at `since` must learn
as created, updated or destroyed (RFC 8620 section 5.2, Foo/changes), and where `maxChanges`
cuts. The backend only supplies the change rows; the rules live here, once.

Each row is one record whose last change (update or destroy) is after `since`, as
(id, created_modseq, updated_modseq, destroyed_modseq or None), ordered by updated_modseq.
"""

from __future__ import annotations

from collections.abc import Iterable

from satchel.store.base import CannotCalculateChanges, Changes, TypeState

ChangeRow = tuple[str, int, int, int | None]


def check_since(state: TypeState, since: int) -> None:
    """Refuse a state the change log cannot answer from.

    RFC 8620 section 5.2: cannotCalculateChanges when the state is too old (tombstones below
    `low` were purged) or unknown (a modseq this type never reached).
    """
    if since < state.low or since > state.high or since < 0:
        raise CannotCalculateChanges(
            f"cannot calculate changes since {since} (available {state.low}..{state.high})"
        )


def classify(rows: Iterable[ChangeRow], since: int, max_changes: int | None, high: int) -> Changes:
    """Classify change rows; cut at a modseq boundary when more than `max_changes` ids.

    - created: created after `since` and still alive (an update after the create stays a
      create: the client has never seen the record).
    - updated: created at or before `since`, changed after it, alive.
    - destroyed: created at or before `since`, destroyed after it.
    - created and destroyed after `since`: not reported at all.

    With `max_changes`, whole modseqs are taken while they fit; the state returned is the last
    modseq taken and `has_more` is true. If the first modseq after `since` alone holds more
    ids than `max_changes`, there is no state to stop at: CannotCalculateChanges.
    """
    created: list[str] = []
    updated: list[str] = []
    destroyed: list[str] = []
    # Ids of the modseq group being read, not yet committed to the result.
    group: list[tuple[list[str], str]] = []
    group_modseq = -1
    taken = 0
    last_taken = since

    def flush() -> None:
        nonlocal taken, last_taken
        for target, record_id in group:
            target.append(record_id)
        taken += len(group)
        if group_modseq >= 0:
            last_taken = group_modseq
        group.clear()

    for record_id, created_modseq, updated_modseq, destroyed_modseq in rows:
        if updated_modseq <= since:
            continue
        if updated_modseq != group_modseq:
            flush()
            group_modseq = updated_modseq
        if destroyed_modseq is not None:
            if created_modseq > since:
                continue  # born and died since the client looked: it never knew the record
            group.append((destroyed, record_id))
        elif created_modseq > since:
            group.append((created, record_id))
        else:
            group.append((updated, record_id))
        if max_changes is not None and taken + len(group) > max_changes:
            if last_taken == since:
                raise CannotCalculateChanges(
                    f"modseq {updated_modseq} alone changes more than {max_changes} ids"
                )
            return Changes(created, updated, destroyed, new_modseq=last_taken, has_more=True)
    flush()
    return Changes(created, updated, destroyed, new_modseq=max(high, last_taken), has_more=False)
