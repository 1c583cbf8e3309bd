"""RFC 8621 section 1.3: the mail capability in the Session, with its account capability."""

from __future__ import annotations

from mail_client import MAIL, MailClient

from satchel.core.session import build_session


def test_session_advertises_mail_for_the_account(mail: MailClient) -> None:
    session = build_session(
        mail.registry, mail.limits, mail.user, mail.accounts, "https://mail.example.com"
    )
    assert session["capabilities"][MAIL] == {}
    assert session["primaryAccounts"][MAIL] == mail.account_id
    account = session["accounts"][mail.account_id]["accountCapabilities"][MAIL]
    assert set(account) == {
        "maxMailboxesPerEmail",
        "maxMailboxDepth",
        "maxSizeMailboxName",
        "maxSizeAttachmentsPerEmail",
        "emailQuerySortOptions",
        "mayCreateTopLevelMailbox",
    }
    assert account["maxSizeMailboxName"] >= 100
    assert "receivedAt" in account["emailQuerySortOptions"]
    assert account["mayCreateTopLevelMailbox"] is True


def test_mail_methods_are_registered(mail: MailClient) -> None:
    for method in (
        "Mailbox/get",
        "Mailbox/changes",
        "Mailbox/query",
        "Mailbox/queryChanges",
        "Mailbox/set",
        "Thread/get",
        "Thread/changes",
        "Email/get",
        "Email/changes",
        "Email/query",
        "Email/queryChanges",
        "Email/set",
        "SearchSnippet/get",
        "Email/import",
        "Email/parse",
    ):
        assert mail.registry.methods[method].capability == MAIL
    assert "Mailbox/copy" not in mail.registry.methods


async def test_a_request_without_the_mail_capability_cannot_call_mail_methods(
    mail: MailClient,
) -> None:
    from satchel.core.context import RequestContext
    from satchel.core.engine import process
    from satchel.core.request import request_from_object

    ctx = RequestContext(
        user=mail.user,
        accounts={a.id: a for a in mail.accounts},
        store=mail.store,
        registry=mail.registry,
        limits=mail.limits,
    )
    body = {
        "using": ["urn:ietf:params:jmap:core"],
        "methodCalls": [["Mailbox/get", {"accountId": mail.account_id}, "0"]],
    }
    response = await process(ctx, request_from_object(body, mail.limits))
    name, result, _ = response["methodResponses"][0]
    assert name == "error" and result["type"] == "unknownMethod"
