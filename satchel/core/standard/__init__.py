"""The generic standard methods of RFC 8620 section 5, one module each (get, changes, set, copy,
query, query_changes), driven by a `satchel.core.datatype.DataType` declaration. A data package
calls `register_type(registry, datatype)` and gets Foo/get ... Foo/queryChanges."""

from satchel.core.standard.register import register_type

__all__ = ["register_type"]
