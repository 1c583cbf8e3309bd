"""The composition root: builds the store, the registry of capabilities and methods, and the
authenticator from Settings. Transports (HTTP, LMTP, CLI) receive a Services and nothing global."""

from __future__ import annotations

from dataclasses import dataclass

from satchel.auth.authenticator import Authenticator
from satchel.config import Settings
from satchel.core.core_methods import register_core
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.mail.capability import register_mail
from satchel.mail.identity import register_identity
from satchel.mail.submission import register_submission
from satchel.mail.vacation import register_vacation
from satchel.push.bus import StateBus
from satchel.push.subscriptions import register_push_subscription
from satchel.push.wiring import wire_push
from satchel.store import open_store
from satchel.store.base import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    registry: Registry
    limits: CoreLimits
    authenticator: Authenticator
    # Every committed write is published here (the store above already does it).
    bus: StateBus


def build_registry(settings: Settings, limits: CoreLimits) -> Registry:
    """Every capability Satchel serves, with its methods. Data packages add theirs here."""
    registry = Registry()
    register_core(registry, limits, blob_expiry_seconds=settings.blob_expiry_seconds)
    register_mail(registry, settings)
    register_identity(registry, settings)
    register_submission(registry, settings)
    register_vacation(registry, settings)
    register_push_subscription(registry, settings)
    return registry


def open_services(settings: Settings, limits: CoreLimits | None = None) -> Services:
    limits = limits or CoreLimits()
    store, bus = wire_push(open_store(settings.data_path), settings)
    return Services(
        settings=settings,
        store=store,
        registry=build_registry(settings, limits),
        limits=limits,
        authenticator=Authenticator(store, settings),
        bus=bus,
    )
