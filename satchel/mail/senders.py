"""Which addresses a user may send from (RFC 8621 sections 6 and 7: Identity `email`,
EmailSubmission `forbiddenFrom`/`forbiddenMailFrom`): the user's own address, its aliases and the
`*@domain` wildcards an admin granted with the CLI. Owned by the Identity work (issue 4)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.store.base import ReadTxn


def may_send_from(txn: ReadTxn, settings: Settings, user_id: str, address: str) -> bool:
    """True when `user_id` may use `address` as a From/Sender or envelope MAIL FROM."""
    raise NotImplementedError("lands with Identity (issue 4)")
