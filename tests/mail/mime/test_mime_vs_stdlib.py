"""Differential test: messages the standard library's `email` package writes (encoded words in
names and subjects, RFC 2231 filenames, base64 and quoted-printable bodies, alternative and
mixed structures) read back by our parser the way `email` itself reads them."""

from __future__ import annotations

import email
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage
from unicodedata import normalize

from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.mail.mime import body_value, decoded_part, iter_parts, parse_message, summarize

# Short values, so the library never folds them: its folding of encoded words loses the space
# between them (RFC 2047 section 6.2 drops white space between adjacent encoded words) and glues
# an encoded word to an atom for non-ASCII spaces, which RFC 8621 section 4.1.2.2 says not to
# decode. Both are the writer's bugs, not a reading to copy.
_CHARS = st.one_of(
    st.characters(whitelist_categories=["L", "N"], max_codepoint=0xFFFF),
    st.sampled_from(" ,.'()<>@:;!?=_-"),
)
_TEXT = st.text(alphabet=_CHARS, max_size=12)
_NAME = (
    st.text(alphabet=_CHARS, min_size=1, max_size=10)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
_LOCAL = st.from_regex(r"[a-z][a-z0-9.+_-]{0,10}[a-z0-9]", fullmatch=True).filter(
    lambda s: ".." not in s
)


def nfc(text: str) -> str:
    return normalize("NFC", text)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = draw(_TEXT)
    msg["From"] = Address(draw(_NAME), draw(_LOCAL), "example.com")
    msg["To"] = [
        Address(draw(_NAME), draw(_LOCAL), "example.org") for _ in range(draw(st.integers(1, 3)))
    ]
    text = draw(_TEXT) + "\n"
    msg.set_content(text, cte=draw(st.sampled_from(["base64", "quoted-printable", None])))
    if draw(st.booleans()):
        msg.add_alternative("<p>" + draw(_TEXT).replace("<", "") + "</p>\n", subtype="html")
    for _ in range(draw(st.integers(0, 2))):
        msg.add_attachment(
            draw(st.binary(max_size=300)),
            maintype="application",
            subtype="octet-stream",
            filename=draw(_NAME).replace("/", "_"),
        )
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_b{i}")  # the library's own boundaries come from `random`
    return msg.as_bytes(policy=email.policy.SMTP)


@settings(max_examples=150, deadline=None)
@given(messages())
def test_our_reading_matches_the_standard_library(raw: bytes) -> None:
    ours = parse_message(raw)
    summary = summarize(raw, ours, "G")
    theirs = email.message_from_bytes(raw, policy=email.policy.default)
    # RFC 8621 section 4.1.2.2: names and text are NFC-normalised; the library leaves them.
    assert summary["subject"] == nfc(str(theirs["Subject"]))
    for prop in ("from", "to"):
        expected = [(nfc(a.display_name) or None, a.addr_spec) for a in theirs[prop].addresses]
        assert [(a["name"], a["email"]) for a in summary[prop]] == expected
    our_parts = iter_parts(ours.root)
    their_parts = list(theirs.walk())
    assert [p.type for p in our_parts] == [p.get_content_type() for p in their_parts]
    for mine, other in zip(our_parts, their_parts, strict=True):
        if other.is_multipart():
            continue
        assert decoded_part(raw, mine) == other.get_payload(decode=True)
        assert mine.name == other.get_filename()
        if mine.type.startswith("text/"):
            expected_text = other.get_content().replace("\r\n", "\n")
            assert body_value(raw, mine, 0)["value"] == expected_text
