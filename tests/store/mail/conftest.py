"""Mail-index fixtures: the sample Emails of mail_index_support indexed in a real store."""

from __future__ import annotations

import pytest
from mail_index_support import create_mailboxes, index_entries, sample_entries

from satchel.store.base import Store


@pytest.fixture
def mail_account(store: Store, account_id: str) -> str:
    """Alice's account with four Mailbox records and the eight sample Emails indexed."""
    store.write_sync(account_id, create_mailboxes)
    index_entries(store, account_id, sample_entries())
    return account_id
