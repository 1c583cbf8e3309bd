"""The submission capability (RFC 8621 section 1.3.2) and EmailSubmission (section 7)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from satchel.config import Settings
from satchel.core.registry import Capability, MethodSpec, Registry
from satchel.core.standard.register import register_type
from satchel.mail.uris import SUBMISSION
from satchel.store.base import Account


def account_capability(settings: Settings, account: Account) -> dict[str, Any] | None:
    """RFC 8621 section 1.3.2: only an account the user may send as (a writable personal
    account) has the capability (section 1.5: shared accounts may hold mail but not send)."""
    from satchel.mail.submission.envelope import submission_extensions

    if account.is_read_only or not account.is_personal:
        return None
    max_delay = max(0, settings.max_delayed_send_seconds)
    return {"maxDelayedSend": max_delay, "submissionExtensions": submission_extensions(max_delay)}


def account_capability_now(value: dict[str, Any]) -> dict[str, Any]:
    """The capability as served: FUTURERELEASE's latest release date is now plus the interval."""
    from satchel.mail.submission.envelope import with_latest_release

    extensions = with_latest_release(value["submissionExtensions"], time.time())
    return {**value, "submissionExtensions": extensions}


def register_submission(registry: Registry, settings: Settings) -> None:
    """Register `urn:ietf:params:jmap:submission` and the EmailSubmission methods."""
    from satchel.mail.capability import provision_before_methods
    from satchel.mail.submission.datatype import EMAIL_SUBMISSION
    from satchel.mail.submission.set_method import submission_set_handler

    registry.add_capability(
        Capability(
            uri=SUBMISSION,
            session_value=dict,
            account_value=lambda account: account_capability(settings, account),
            account_value_now=account_capability_now,
        )
    )
    generic = EMAIL_SUBMISSION.methods - {"set"}
    register_type(registry, dataclasses.replace(EMAIL_SUBMISSION, methods=generic))
    registry.data_types[EMAIL_SUBMISSION.name] = EMAIL_SUBMISSION
    registry.add_method(
        MethodSpec(
            name="EmailSubmission/set",
            capability=SUBMISSION,
            handler=submission_set_handler(settings),
        )
    )
    provision_before_methods(registry, settings)
