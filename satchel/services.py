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
from satchel.store import open_store
from satchel.store.base import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    registry: Registry
    limits: CoreLimits
    authenticator: Authenticator


def build_registry(settings: Settings, limits: CoreLimits) -> Registry:
    """Every capability Satchel serves, with its methods. Data packages add theirs here."""
    registry = Registry()
    register_core(registry, limits, blob_expiry_seconds=settings.blob_expiry_seconds)
    register_mail(registry, settings)
    return registry


def open_services(settings: Settings) -> Services:
    limits = CoreLimits()
    store = open_store(settings.data_path)
    return Services(
        settings=settings,
        store=store,
        registry=build_registry(settings, limits),
        limits=limits,
        authenticator=Authenticator(store, settings),
    )
