"""The limits Satchel advertises in the mail account capability (RFC 8621 section 1.3.1) and
enforces in Mailbox/set and Email/set."""

from __future__ import annotations

from typing import Final

MAX_MAILBOXES_PER_EMAIL: Final = 64
MAX_MAILBOX_DEPTH: Final = 16
MAX_SIZE_MAILBOX_NAME: Final = 255  # octets of UTF-8; RFC 8621 section 1.3.1: at least 100
MAX_SIZE_ATTACHMENTS_PER_EMAIL: Final = 50_000_000
