"""Email/get, /changes, /query, /queryChanges, /set and SearchSnippet/get (RFC 8621 sections 4
and 5) through the engine on the real store, with messages delivered by ingest."""

from __future__ import annotations

from mail_client import MailClient, message, multipart_message

from satchel.mail.email_get import DEFAULT_PROPERTIES


async def _three(mail: MailClient) -> tuple[str, str, str]:
    a = await mail.deliver(
        message("Alpha", sender="Zed <z@example.com>", message_id="<a@x>"), received_at=100
    )
    b = await mail.deliver(
        message(
            "Re: Alpha", sender="Amy <amy@example.com>", message_id="<b@x>", in_reply_to="<a@x>"
        ),
        received_at=200,
        keywords=["$seen"],
    )
    c = await mail.deliver(
        message("Beta", sender="Max <m@example.com>", message_id="<c@x>", body="kiwi fruit\r\n"),
        received_at=300,
    )
    return a, b, c


# --- Email/get ------------------------------------------------------------------------------------


async def test_get_without_properties_returns_the_default_list(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    email = (await mail.ok("Email/get", ids=[email_id]))["list"][0]
    assert list(email) == list(DEFAULT_PROPERTIES)
    assert email["bodyValues"] == {}
    assert set(email["textBody"][0]) == {
        "partId",
        "blobId",
        "size",
        "name",
        "type",
        "charset",
        "disposition",
        "cid",
        "language",
        "location",
    }


async def test_get_every_property_when_asked(mail: MailClient) -> None:
    email_id = await mail.deliver(multipart_message())
    props = [*DEFAULT_PROPERTIES, "bodyStructure", "headers"]
    email = (await mail.ok("Email/get", ids=[email_id], properties=props))["list"][0]
    assert set(email) == set(props)
    assert email["bodyStructure"]["type"] == "multipart/mixed"
    assert [p["type"] for p in email["bodyStructure"]["subParts"]] == [
        "multipart/alternative",
        "application/pdf",
    ]
    assert {"name": "Subject", "value": " With attachment"} in email["headers"]


async def test_body_values_follow_the_fetch_flags(mail: MailClient) -> None:
    email_id = await mail.deliver(multipart_message())
    text = await mail.ok(
        "Email/get", ids=[email_id], properties=["bodyValues", "textBody"], fetchTextBodyValues=True
    )
    email = text["list"][0]
    part_id = email["textBody"][0]["partId"]
    assert email["bodyValues"] == {
        part_id: {
            "value": "The plain body with caf\xe9.",
            "isEncodingProblem": False,
            "isTruncated": False,
        }
    }
    html = await mail.ok(
        "Email/get", ids=[email_id], properties=["bodyValues"], fetchHTMLBodyValues=True
    )
    [value] = html["list"][0]["bodyValues"].values()
    assert "<b>html</b>" in value["value"]
    every = await mail.ok(
        "Email/get", ids=[email_id], properties=["bodyValues"], fetchAllBodyValues=True
    )
    assert len(every["list"][0]["bodyValues"]) == 2  # text parts only, not the pdf


async def test_max_body_value_bytes_truncates_without_splitting_characters(
    mail: MailClient,
) -> None:
    email_id = await mail.deliver(message(body="caf\xe9 au lait\r\n"))
    got = await mail.ok(
        "Email/get",
        ids=[email_id],
        properties=["bodyValues"],
        fetchTextBodyValues=True,
        maxBodyValueBytes=4,
    )
    [value] = got["list"][0]["bodyValues"].values()
    assert value == {"value": "caf", "isEncodingProblem": False, "isTruncated": True}


async def test_body_properties_choose_part_properties(mail: MailClient) -> None:
    email_id = await mail.deliver(multipart_message())
    got = await mail.ok(
        "Email/get",
        ids=[email_id],
        properties=["attachments"],
        bodyProperties=["partId", "type", "header:Content-Type"],
    )
    [part] = got["list"][0]["attachments"]
    assert set(part) == {"partId", "type", "header:Content-Type"}
    assert part["header:Content-Type"] == ' application/pdf; name="report.pdf"'
    bad = await mail.error("Email/get", ids=[email_id], bodyProperties=["nonsense"])
    assert bad["type"] == "invalidArguments"


async def test_header_forms(mail: MailClient) -> None:
    email_id = await mail.deliver(message("Hi", extra_headers="X-Tag: one\r\nX-Tag: two\r\n"))
    props = [
        "header:Subject:asText",
        "header:from:asAddresses",
        "header:X-Tag:all",
        "header:Date:asDate",
        "header:X-TAG",
    ]
    email = (await mail.ok("Email/get", ids=[email_id], properties=props))["list"][0]
    assert email["header:Subject:asText"] == "Hi"
    assert email["header:from:asAddresses"] == [{"name": "Bob", "email": "bob@example.com"}]
    assert email["header:X-Tag:all"] == [" one", " two"]
    assert email["header:Date:asDate"] == "2023-01-02T10:00:00Z"
    assert email["header:X-TAG"] == " two"  # the last instance, name as asked


async def test_a_forbidden_header_form_is_invalid_arguments(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    for prop in ("header:From:asDate", "header:Subject:asSomething", "header:", "bogus"):
        error = await mail.error("Email/get", ids=[email_id], properties=[prop])
        assert error["type"] == "invalidArguments", prop


async def test_get_needs_ids_and_reports_not_found(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    got = await mail.ok("Email/get", ids=[email_id, "missing"], properties=["id"])
    assert got["list"] == [{"id": email_id}]
    assert got["notFound"] == ["missing"]
    assert (await mail.error("Email/get", ids=None))["type"] == "invalidArguments"


# --- Email/query and /queryChanges --------------------------------------------------------------


async def test_query_defaults_to_newest_first_and_filters(mail: MailClient) -> None:
    a, b, c = await _three(mail)
    inbox = await mail.mailbox_id("inbox")
    assert (await mail.ok("Email/query"))["ids"] == [c, b, a]
    assert (await mail.ok("Email/query", filter={"inMailbox": inbox}))["ids"] == [c, b, a]
    assert (await mail.ok("Email/query", filter={"hasKeyword": "$seen"}))["ids"] == [b]
    assert (await mail.ok("Email/query", filter={"notKeyword": "$seen"}))["ids"] == [c, a]
    assert (await mail.ok("Email/query", filter={"text": "kiwi"}))["ids"] == [c]
    assert (await mail.ok("Email/query", filter={"subject": "alpha"}))["ids"] == [b, a]
    assert (await mail.ok("Email/query", filter={"after": "1970-01-01T00:04:00Z"}))["ids"] == [c]
    either = {"operator": "OR", "conditions": [{"from": "amy"}, {"from": "max"}]}
    assert (await mail.ok("Email/query", filter=either))["ids"] == [c, b]


async def test_header_filter_matches_decoded_encoded_words(mail: MailClient) -> None:
    # RFC 8621 section 4.4.1: encoded words SHOULD be decoded before text is matched.
    label = "X-Label: =?utf-8?q?caf=C3=A9_cr=C3=A8me?=\r\n"
    far = "X-Long: " + " ".join(f"word{n}" for n in range(40)) + " needle\r\n"
    encoded = await mail.deliver(
        message("=?utf-8?b?SMOpbGxvIHfDtnJsZA==?=", extra_headers=label + far)
    )
    await mail.deliver(message("Plain", message_id="<2@example.com>"))

    async def found(condition: list[str]) -> list[str]:
        return list((await mail.ok("Email/query", filter={"header": condition}))["ids"])

    assert await found(["Subject", "wörld"]) == [encoded]
    assert await found(["X-Label", "crème"]) == [encoded]
    assert await found(["X-Label", "utf"]) == []  # the encoding itself is not text
    assert await found(["X-Long", "needle"]) == [encoded]  # however far into the field
    assert await found(["X-Label", "needle"]) == []  # a neighbouring field's text


async def test_text_search_sees_alt_and_title_but_the_preview_does_not(mail: MailClient) -> None:
    # RFC 8621 section 4.4.1: attribute content shown to the user (alt, title) SHOULD be searched.
    html = (
        b"From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: Photo\r\n"
        b"Message-ID: <html@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Look at this <img src="cid:1" alt="zebra crossing">'
        b"<a href='https://example.com' title='Striped horses'>here</a></p>\r\n"
    )
    email_id = await mail.deliver(html)
    for condition in ({"text": "zebra"}, {"body": "striped"}, {"text": '"zebra crossing"'}):
        assert (await mail.ok("Email/query", filter=condition))["ids"] == [email_id]
    got = await mail.ok("Email/get", ids=[email_id], properties=["preview"])
    assert got["list"][0]["preview"] == "Look at this here"


async def test_text_search_looks_inside_text_attachments_and_attached_messages(
    mail: MailClient,
) -> None:
    # RFC 8621 section 4.4.1: `text` SHOULD look inside any text/* body part; an attached
    # message's headers and text are text too. A markup format's source is not.
    raw = (
        b"From: Carol <carol@example.com>\r\nTo: alice@example.com\r\nSubject: Files\r\n"
        b"Message-ID: <att@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: text/csv; name=list.csv\r\n"
        b"Content-Disposition: attachment; filename=list.csv\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"ZnJ1aXQsY291bnQKa3VtcXVhdCwzCg==\r\n"  # "fruit,count\nkumquat,3\n"
        b"--b\r\nContent-Type: text/rtf\r\nContent-Disposition: attachment\r\n\r\n"
        b"{\\rtf1\\fswiss Hello}\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: Dave <dave@example.com>\r\nSubject: =?utf-8?q?Pomegranate_harvest?=\r\n\r\n"
        b"Bring the tamarind.\r\n"
        b"--b--\r\n"
    )
    email_id = await mail.deliver(raw)
    for word in ("kumquat", "pomegranate", "tamarind", "dave"):
        assert (await mail.ok("Email/query", filter={"text": word}))["ids"] == [email_id], word
    assert (await mail.ok("Email/query", filter={"body": "kumquat"}))["ids"] == [email_id]
    assert (await mail.ok("Email/query", filter={"text": "fswiss"}))["ids"] == []
    got = await mail.ok("Email/get", ids=[email_id], properties=["preview"])
    assert got["list"][0]["preview"] == "See attached."


async def test_query_sorts(mail: MailClient) -> None:
    a, b, c = await _three(mail)
    oldest = await mail.ok("Email/query", sort=[{"property": "receivedAt", "isAscending": True}])
    assert oldest["ids"] == [a, b, c]
    by_from = await mail.ok("Email/query", sort=[{"property": "from"}])
    assert by_from["ids"] == [b, c, a]  # Amy, Max, Zed
    seen_first = await mail.ok(
        "Email/query",
        sort=[{"property": "hasKeyword", "keyword": "$seen", "isAscending": False}],
    )
    assert seen_first["ids"][0] == b


async def test_query_rejects_bad_sorts_and_filters(mail: MailClient) -> None:
    assert (await mail.error("Email/query", sort=[{"property": "color"}]))[
        "type"
    ] == "unsupportedSort"
    missing_keyword = await mail.error("Email/query", sort=[{"property": "hasKeyword"}])
    assert missing_keyword["type"] == "invalidArguments"
    assert (await mail.error("Email/query", filter={"color": "red"}))["type"] == "unsupportedFilter"
    assert (await mail.error("Email/query", filter={"before": "yesterday"}))[
        "type"
    ] == "invalidArguments"


async def test_collapse_threads_keeps_one_email_per_thread(mail: MailClient) -> None:
    _a, b, c = await _three(mail)
    result = await mail.ok("Email/query", collapseThreads=True, calculateTotal=True)
    assert result["ids"] == [c, b]
    assert result["total"] == 2
    assert result["canCalculateChanges"] is True


async def test_query_window_and_anchor(mail: MailClient) -> None:
    a, b, _c = await _three(mail)
    page = await mail.ok("Email/query", position=1, limit=1, calculateTotal=True)
    assert (page["ids"], page["position"], page["total"]) == ([b], 1, 3)
    anchored = await mail.ok("Email/query", anchor=b, anchorOffset=1)
    assert anchored["ids"] == [a]
    assert (await mail.error("Email/query", anchor="nope"))["type"] == "anchorNotFound"


async def test_query_changes_after_a_keyword_change(mail: MailClient) -> None:
    a, _b, _c = await _three(mail)
    filter_ = {"notKeyword": "$seen"}
    before = await mail.ok("Email/query", filter=filter_)
    await mail.ok("Email/set", update={a: {"keywords/$seen": True}})
    changes = await mail.ok(
        "Email/queryChanges", filter=filter_, sinceQueryState=before["queryState"]
    )
    assert a in changes["removed"]
    assert changes["added"] == []


# --- Email/changes and Email/set ----------------------------------------------------------------


async def test_set_keywords_by_patch_and_whole(mail: MailClient) -> None:
    email_id = await mail.deliver(message(), keywords=["$draft"])
    state = (await mail.ok("Email/get", ids=[]))["state"]
    result = await mail.ok(
        "Email/set", update={email_id: {"keywords/$seen": True, "keywords/$draft": None}}
    )
    assert result["updated"] == {email_id: None}
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords"])
    assert got["list"][0]["keywords"] == {"$seen": True}
    await mail.ok("Email/set", update={email_id: {"keywords": {"$Flagged": True}}})
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords"])
    assert got["list"][0]["keywords"] == {"$flagged": True}
    changes = await mail.ok("Email/changes", sinceState=state)
    assert changes["updated"] == [email_id]


async def test_move_between_mailboxes_moves_counts(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    inbox = await mail.mailbox_id("inbox")
    archive = await mail.mailbox_id("archive")
    await mail.ok(
        "Email/set",
        update={email_id: {f"mailboxIds/{inbox}": None, f"mailboxIds/{archive}": True}},
    )
    boxes = await mail.mailboxes()
    assert boxes["inbox"]["totalEmails"] == 0
    assert boxes["archive"]["totalEmails"] == 1
    assert (await mail.ok("Email/query", filter={"inMailbox": archive}))["ids"] == [email_id]


async def test_mailbox_ids_rules(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    empty = await mail.ok("Email/set", update={email_id: {"mailboxIds": {}}})
    assert empty["notUpdated"][email_id]["properties"] == ["mailboxIds"]
    unknown = await mail.ok("Email/set", update={email_id: {"mailboxIds": {"nope": True}}})
    assert unknown["notUpdated"][email_id]["properties"] == ["mailboxIds"]
    bad_keyword = await mail.ok("Email/set", update={email_id: {"keywords/a(b": True}})
    assert bad_keyword["notUpdated"][email_id]["type"] == "invalidProperties"


async def test_immutable_properties_cannot_change(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    result = await mail.ok("Email/set", update={email_id: {"subject": "changed"}})
    assert result["notUpdated"][email_id]["properties"] == ["subject"]


async def test_destroy_updates_thread_counts_and_releases_the_blob(mail: MailClient) -> None:
    a, b, c = await _three(mail)
    got = await mail.ok("Email/get", ids=[a, c], properties=["threadId", "blobId"])
    thread_ab = got["list"][0]["threadId"]
    thread_c, blob_c = got["list"][1]["threadId"], got["list"][1]["blobId"]
    thread_state = (await mail.ok("Thread/get", ids=[]))["state"]
    result = await mail.ok("Email/set", destroy=[a, c])
    assert result["destroyed"] == [a, c]
    threads = await mail.ok("Thread/get", ids=[thread_ab, thread_c])
    assert threads["list"] == [{"id": thread_ab, "emailIds": [b]}]
    assert threads["notFound"] == [thread_c]
    changes = await mail.ok("Thread/changes", sinceState=thread_state)
    assert changes["updated"] == [thread_ab] and changes["destroyed"] == [thread_c]
    assert (await mail.mailboxes())["inbox"]["totalEmails"] == 1
    info = await mail.store.read(lambda txn: txn.blob_info(mail.account_id, blob_c))
    assert info is not None and info.refcount == 0
    assert (await mail.ok("Email/query"))["ids"] == [b]


# --- SearchSnippet/get ----------------------------------------------------------------------------


async def test_search_snippets_mark_matches(mail: MailClient) -> None:
    _a, _b, c = await _three(mail)
    result = await mail.ok("SearchSnippet/get", filter={"text": "kiwi"}, emailIds=[c, "missing"])
    [snippet] = result["list"]
    assert snippet["emailId"] == c
    assert "<mark>kiwi</mark>" in snippet["preview"]
    assert result["notFound"] == ["missing"]
    assert (await mail.error("SearchSnippet/get", filter=None))["type"] == "invalidArguments"
