-- Satchel schema 6: PushSubscription (RFC 8620 section 7.2). A subscription belongs to a user,
-- not to an account, and is not JMAP account data: no modseq, no tombstone, no /changes.
-- `verification_code` is the code the server sent in the PushVerification; `verified` turns 1
-- once the client has set it back, and only then may StateChanges be POSTed to `url`.
-- `credential` names the credentials that created it ("password" or "token:<sha-256 hex>"):
-- only requests with the same credentials see it, and revoking a token destroys it.

CREATE TABLE push_subscriptions (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    credential        TEXT NOT NULL,
    device_client_id  TEXT NOT NULL,
    url               TEXT NOT NULL,
    p256dh            TEXT,            -- keys.p256dh (URL-safe base64) or NULL without keys
    auth              TEXT,            -- keys.auth
    verification_code TEXT NOT NULL,
    verified          INTEGER NOT NULL DEFAULT 0,
    expires           REAL NOT NULL,   -- seconds since the epoch
    types             TEXT,            -- JSON array of type names, NULL for every type
    created_at        REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);
CREATE INDEX push_subscriptions_by_expiry ON push_subscriptions (expires);

-- A deleted user's subscriptions go with it (RFC 8620 section 7.2: revoked credentials).
CREATE TRIGGER push_subscriptions_follow_users AFTER DELETE ON users
BEGIN
    DELETE FROM push_subscriptions WHERE user_id = OLD.id;
END;

-- RFC 8620 section 7.2: credentials revoked -> subscription destroyed (secrets overwritten).
CREATE TRIGGER push_subscriptions_follow_tokens AFTER DELETE ON tokens
BEGIN
    UPDATE push_subscriptions SET url = zeroblob(length(url)),
        p256dh = zeroblob(length(p256dh)), auth = zeroblob(length(auth))
        WHERE credential = 'token:' || OLD.token_hash;
    DELETE FROM push_subscriptions WHERE credential = 'token:' || OLD.token_hash;
END;
