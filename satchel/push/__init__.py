"""Push (RFC 8620 section 7, RFC 8887): the state-change bus every committed write publishes to,
and the transports that carry StateChanges to clients (EventSource, WebSocket, PushSubscription)."""
