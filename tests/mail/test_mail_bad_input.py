"""Bad input to any mail method gets a JMAP error, never serverFail: every mail method is fed
arguments of the wrong shapes, in an account with mail in it."""

from __future__ import annotations

from typing import Any

import pytest
from mail_client import MailClient, message, multipart_message

JUNK: list[Any] = [None, 0, -1, 2**60, 1.5, True, "", "x", "#nope", [], [None], [1], {}, {"a": 1}]
ARGUMENTS = [
    "ids",
    "properties",
    "bodyProperties",
    "fetchTextBodyValues",
    "maxBodyValueBytes",
    "filter",
    "sort",
    "position",
    "anchor",
    "limit",
    "collapseThreads",
    "sortAsTree",
    "sinceState",
    "sinceQueryState",
    "maxChanges",
    "create",
    "update",
    "destroy",
    "ifInState",
    "onDestroyRemoveEmails",
    "emails",
    "blobIds",
    "emailIds",
]
SHAPED: list[dict[str, Any]] = [
    {"filter": {"operator": "AND", "conditions": [{"inMailbox": 5}]}},
    {"filter": {"header": []}},
    {"filter": {"text": None}},
    {"filter": {"before": "2020-01-01T00:00:00"}},
    {"sort": [{"property": "hasKeyword", "keyword": "("}]},
    {"sort": [{"property": "receivedAt", "collation": "nope"}]},
    {"create": {"c": {"mailboxIds": {"x": True}, "bodyStructure": {"subParts": [1]}}}},
    {"create": {"c": {"mailboxIds": "x", "from": [{"email": None}], "textBody": 3}}},
    {"create": {"c": {"name": None, "parentId": 7, "role": 3, "sortOrder": -1}}},
    {"create": {"c": {"attachments": [{"blobId": "x", "type": "nonsense"}]}}},
    {"create": {"c": {"sentAt": "yesterday", "messageId": ["a b"]}}},
    {"update": {"x": {"keywords/": True, "mailboxIds/": None}}},
    {"update": {"x": {"keywords": {"$seen": False}}}},
    {"emails": {"i": {"blobId": None, "keywords": [], "receivedAt": 5}}},
    {"emails": {"i": 5}},
    {"properties": ["header:X:asRaw:all:extra"]},
    {"bodyProperties": ["header:"]},
]


@pytest.fixture
async def loaded(mail: MailClient) -> MailClient:
    await mail.deliver(message())
    await mail.deliver(multipart_message())
    return mail


async def test_junk_arguments_never_fail_the_server(loaded: MailClient) -> None:
    methods = [m for m, spec in loaded.registry.methods.items() if spec.capability.endswith("mail")]
    emails = (await loaded.ok("Email/query"))["ids"]
    for method in methods:
        cases: list[dict[str, Any]] = [{name: junk} for name in ARGUMENTS for junk in JUNK]
        cases += SHAPED
        cases += [
            {"update": {emails[0]: {name: junk}}}
            for name in ("keywords", "mailboxIds", "subject")
            for junk in JUNK
        ]
        for args in cases:
            name, result = await loaded.call(method, **args)
            assert not (name == "error" and result["type"] == "serverFail"), (method, args, result)
