"""Thread (RFC 8621 section 3): a flat list of Email ids, oldest first. Only /get and /changes;
ingest and Email destruction maintain the records (see `satchel.mail.threading`)."""

from __future__ import annotations

from typing import Final

from satchel.core.datatype import DataType, Id, Property, list_of
from satchel.mail.uris import MAIL

THREAD: Final = DataType(
    name="Thread",
    capability=MAIL,
    properties={"emailIds": Property(list_of(Id), default=[], server_set=True)},
    methods=frozenset({"get", "changes"}),
    get_all=False,
)
