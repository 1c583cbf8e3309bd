-- Satchel schema 4: sender grants (which addresses beyond its own a user may send from) and the
-- vacation auto-reply log (RFC 3834 section 2: at most one reply per sender per period).

-- A grant is an exact address or a `*@domain` wildcard, stored lowercased.
CREATE TABLE sender_grants (
    user_id TEXT NOT NULL,
    pattern TEXT NOT NULL,
    PRIMARY KEY (user_id, pattern)
) WITHOUT ROWID;

CREATE TRIGGER sender_grants_follow_users AFTER DELETE ON users
BEGIN
    DELETE FROM sender_grants WHERE user_id = OLD.id;
END;

-- The last auto-reply an account sent to each (lowercased) envelope sender.
CREATE TABLE vacation_replies (
    account_id TEXT NOT NULL,
    sender     TEXT NOT NULL,
    replied_at REAL NOT NULL,
    PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;

CREATE TRIGGER vacation_replies_follow_accounts AFTER DELETE ON accounts
BEGIN
    DELETE FROM vacation_replies WHERE account_id = OLD.id;
END;
