"""The capability URI of JMAP Mail (RFC 8621 section 1.3), in a module of its own so every mail
module can name it without importing the registration."""

from __future__ import annotations

from typing import Final

MAIL: Final = "urn:ietf:params:jmap:mail"
SUBMISSION: Final = "urn:ietf:params:jmap:submission"
VACATION_RESPONSE: Final = "urn:ietf:params:jmap:vacationresponse"
