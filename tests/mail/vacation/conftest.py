"""The mail client of tests/mail/conftest.py, also using the vacationresponse capability."""

from __future__ import annotations

import pytest
from mail_client import MailClient

VACATION_RESPONSE = "urn:ietf:params:jmap:vacationresponse"


@pytest.fixture
def client(mail: MailClient) -> MailClient:
    mail.using = [*mail.using, VACATION_RESPONSE]
    return mail
