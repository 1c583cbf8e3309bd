"""MIME throughput: parse_message + summarize of a 55 KB multipart message, N times.

    .venv/bin/python bench/mime_throughput.py            # 2,000 rounds
    .venv/bin/python bench/mime_throughput.py -n 5000 --stdlib

The message is built deterministically: multipart/mixed holding multipart/alternative
(quoted-printable text/plain and text/html) and a base64 PDF-like attachment, about 55 KB in all,
the shape DESIGN.md's prototype figure was measured on. `--stdlib` also times the standard
library's `email` parser walking the same message (parse, then decode every leaf), for
comparison. Prints messages/s and MB/s. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import quopri
import random
import time

from satchel.mail.mime import parse_message, summarize

VOCABULARY = (
    "budget review quarterly report release planning server migration invoice contract "
    "renewal design feedback hiring security audit customer roadmap café naïve Grüße"
)
WORDS = VOCABULARY.split(" ")


def build_message(seed: int = 7) -> bytes:
    rng = random.Random(seed)
    text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(60)).encode(
        "utf-8"
    )
    html = (
        b"<html><body>"
        + b"".join(b"<p>" + line + b"</p>\n" for line in text.split(b"\n"))
        + b"</body></html>"
    )
    attachment = bytes(rng.randrange(256) for _ in range(30_000))
    nl = b"\r\n"

    def qp(data: bytes) -> bytes:
        return quopri.encodestring(data).replace(b"\n", nl)

    parts = [
        b"From: =?utf-8?q?Ren=C3=A9e_Dupont?= <renee@example.fr>",
        b"To: Sam <sam@example.com>, team@example.com",
        b'Cc: "Doe, Jane" <jane@example.com>',
        b"Subject: =?utf-8?q?Quarterly_report_=E2=80=94_draft?=",
        b"Date: Tue, 2 Jan 2024 09:08:07 +0100",
        b"Message-ID: <bench-1@example.fr>",
        b"References: <a@example.fr> <b@example.fr>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="mixed"',
        b"",
        b"--mixed",
        b'Content-Type: multipart/alternative; boundary="alt"',
        b"",
        b"--alt",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
        b"",
        qp(text),
        b"--alt",
        b"Content-Type: text/html; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
        b"",
        qp(html),
        b"--alt--",
        b"",
        b"--mixed",
        b"Content-Type: application/pdf; name=report.pdf",
        b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9port.pdf",
        b"Content-Transfer-Encoding: base64",
        b"",
        base64.encodebytes(attachment).replace(b"\n", nl),
        b"--mixed--",
        b"",
    ]
    return nl.join(parts)


def rate(label: str, rounds: int, size: int, fn: object) -> None:
    assert callable(fn)
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    elapsed = time.perf_counter() - started
    print(
        f"{label:<34} {rounds / elapsed:9.0f} messages/s"
        f"  {rounds * size / elapsed / 1e6:7.1f} MB/s  ({elapsed / rounds * 1e3:.2f} ms each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--rounds", type=int, default=2000)
    parser.add_argument("--stdlib", action="store_true", help="also time the stdlib parser")
    args = parser.parse_args()
    raw = build_message()
    print(f"message: {len(raw):,} bytes")

    rate("parse_message", args.rounds, len(raw), lambda: parse_message(raw))
    rate(
        "parse_message + summarize",
        args.rounds,
        len(raw),
        lambda: summarize(raw, parse_message(raw), "Gbench"),
    )
    if args.stdlib:

        def stdlib() -> None:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            for part in message.walk():
                if not part.is_multipart():
                    part.get_payload(decode=True)

        rate("stdlib email (parse + decode)", max(1, args.rounds // 10), len(raw), stdlib)


if __name__ == "__main__":
    main()
