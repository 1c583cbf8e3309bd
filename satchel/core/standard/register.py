"""Registration is data: a declared DataType becomes MethodSpecs `Foo/get` ... `Foo/queryChanges`
in the registry."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType
from satchel.core.registry import MethodResponse, MethodSpec, Registry
from satchel.core.standard.changes import changes
from satchel.core.standard.copy import copy
from satchel.core.standard.get import get
from satchel.core.standard.query import query
from satchel.core.standard.query_changes import query_changes
from satchel.core.standard.set import set_

Generic = Callable[[DataType, RequestContext, dict[str, Any]], Awaitable[list[MethodResponse]]]

_METHODS: Final[dict[str, Generic]] = {
    "get": get,
    "changes": changes,
    "set": set_,
    "copy": copy,
    "query": query,
    "queryChanges": query_changes,
}


def register_type(registry: Registry, datatype: DataType) -> None:
    """Add the type's standard methods (those in `datatype.methods`) and the type itself."""
    if datatype.name in registry.data_types:
        raise ValueError(f"data type {datatype.name} registered twice")
    registry.data_types[datatype.name] = datatype
    for method in sorted(datatype.methods):
        generic = _METHODS[method]
        registry.add_method(
            MethodSpec(
                name=f"{datatype.name}/{method}",
                capability=datatype.capability,
                handler=functools.partial(generic, datatype),
            )
        )
