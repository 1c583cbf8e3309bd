"""Test helper: build MIME messages from (headers, body) trees, and check part offsets."""

from __future__ import annotations

from pathlib import Path

from satchel.mail.mime import Message, Part

DATA = Path(__file__).parent.parent / "data"
CORPUS = Path(__file__).parent / "corpus"

Tree = tuple[str, "bytes | list[Tree]"]


def build(
    headers: str, body: bytes | list[Tree], boundary: str = "b", nl: bytes = b"\r\n"
) -> bytes:
    """A MIME entity. `headers` are lines separated by "|"; "{b}" in them stands for this
    entity's boundary. A list body makes a multipart of the child trees."""
    head = nl.join(h.replace("{b}", boundary).encode() for h in headers.split("|") if h)
    separator = nl + nl if head else nl
    if isinstance(body, bytes):
        return head + separator + body
    out = [head, separator]
    for i, (child_headers, child_body) in enumerate(body):
        child = build(child_headers, child_body, f"{boundary}.{i}", nl)
        out += [b"--", boundary.encode(), nl, child, nl]
    out += [b"--", boundary.encode(), b"--", nl]
    return b"".join(out)


def check_offsets(message: Message) -> None:
    """Every part's ranges are ordered, inside the message, and children nest in the parent's
    body; part ids are unique."""
    seen: set[str] = set()

    def visit(part: Part, lo: int, hi: int) -> None:
        assert part.part_id not in seen
        seen.add(part.part_id)
        assert lo <= part.header_start <= part.header_end <= part.body_start
        assert part.body_start <= part.body_end <= hi
        for header in part.headers:
            assert part.header_start <= header.start < header.end <= part.header_end
        for sub in part.sub_parts:
            visit(sub, part.body_start, part.body_end)

    visit(message.root, 0, message.raw_size)
