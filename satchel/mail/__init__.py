"""JMAP Mail (RFC 8621): Mailbox, Thread, Email, SearchSnippet and the ways mail gets in."""
