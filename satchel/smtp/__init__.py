"""Mail transport: inbound LMTP (RFC 2033) now, outbound submission later."""
