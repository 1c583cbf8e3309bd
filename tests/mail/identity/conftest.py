"""The mail client of tests/mail/conftest.py, also using the submission capability (Identity)."""

from __future__ import annotations

import pytest
from mail_client import MailClient

SUBMISSION = "urn:ietf:params:jmap:submission"


@pytest.fixture
def client(mail: MailClient) -> MailClient:
    mail.using = [*mail.using, SUBMISSION]
    return mail
