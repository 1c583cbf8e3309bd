"""Fuzzing the parser with mutated real messages (the seeds in corpus/ and tests/mail/data):
truncated, spliced, byte-flipped, with boundaries duplicated or dropped. Whatever the input,
nothing raises, offsets stay inside the message and nest, decoded parts are never larger than
their encoded bodies, and every value is JSON-ready."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mimebuild import CORPUS, DATA, check_offsets

from satchel.mail.mime import (
    FORMS,
    body_value,
    decoded_part,
    header_property,
    iter_parts,
    parse_message,
    summarize,
)

SEEDS = [p.read_bytes() for p in sorted([*CORPUS.glob("*.eml"), *DATA.glob("*.eml")])]
_DELIMITER_LINE = re.compile(rb"^--[^\r\n]*\r?\n", re.M)


def assert_sane(raw: bytes) -> None:
    message = parse_message(raw)
    check_offsets(message)
    summary = summarize(raw, message, "Gfuzz")
    orjson.dumps(summary)
    assert len(summary["preview"]) <= 256
    for listed in ("textBody", "htmlBody", "attachments"):
        assert all(p["partId"] is not None for p in summary[listed])
    sizes = {}
    stack = [summary["bodyStructure"]]
    while stack:
        shown = stack.pop()
        stack.extend(shown["subParts"] or [])
        sizes[shown["partId"]] = shown["size"]
    for part in iter_parts(message.root):
        encoded_size = part.body_end - part.body_start
        decoded = decoded_part(raw, part)
        assert len(decoded) <= encoded_size
        if part.part_id in sizes:
            assert sizes[part.part_id] == len(decoded)
        value = body_value(raw, part, 64)
        assert len(value["value"].encode("utf-8")) <= 64
        orjson.dumps(value)
    names = {h.name for h in message.root.headers}
    for name in list(names)[:8]:
        for form in FORMS:
            orjson.dumps(header_property(raw, message.root.headers, form, name, True))


def test_every_seed_is_sane() -> None:
    assert len(SEEDS) >= 10
    for seed in SEEDS:
        assert_sane(seed)


def test_every_seed_truncated_anywhere() -> None:
    for seed in SEEDS:
        for cut in range(0, len(seed), 11):
            assert_sane(seed[:cut])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "splice", "flip", "boundary", "insert", "cut"]))
        at = draw(st.integers(0, len(raw)))
        if kind == "truncate":
            del raw[at:]
        elif kind == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other)))
            raw[at:at] = other[start : start + draw(st.integers(0, 400))]
        elif kind == "flip":
            for _ in range(draw(st.integers(1, 8))):
                if raw:
                    raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        elif kind == "boundary":
            lines = _DELIMITER_LINE.findall(bytes(raw))
            if lines:
                line = draw(st.sampled_from(lines))
                raw[at:at] = line * draw(st.integers(1, 3))
        elif kind == "insert":
            raw[at:at] = draw(
                st.sampled_from([b"\r\n", b"\n", b"\r", b"\x00", b"\r\n\r\n", b"--", b"=?", b"\t"])
            )
        else:
            del raw[at : at + draw(st.integers(1, 200))]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_messages_are_sane(raw: bytes) -> None:
    assert_sane(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_sane(raw: bytes) -> None:
    assert_sane(raw)
    assert_sane(b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n" + raw)


def test_corpus_directory_is_the_seed_set() -> None:
    assert all(isinstance(p, Path) and p.suffix == ".eml" for p in CORPUS.iterdir())
