"""Satchel: a JMAP server for mail, contacts, calendars and push."""

__version__ = "0.1.0"
