"""What the bus tests share: the wired store and bus of one data directory, with two users."""

from __future__ import annotations

import dataclasses

from satchel.config import Settings
from satchel.push.unix_bus import SocketBus
from satchel.store.base import Account, Store, User


@dataclasses.dataclass
class Pushed:
    settings: Settings
    store: Store
    bus: SocketBus
    alice: tuple[User, Account]
    bob: tuple[User, Account]
