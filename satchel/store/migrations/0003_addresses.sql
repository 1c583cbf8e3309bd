-- Satchel schema 3: mail address aliases. A user's own address is NAME@domain and needs no row;
-- an alias is another address (any local domain) delivering to the user's personal account.
-- Addresses are stored lowercased, so lookups are exact.

CREATE TABLE addresses (
    address TEXT PRIMARY KEY,
    user_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX addresses_by_user ON addresses (user_id);

-- A deleted user's aliases go with it, so the addresses are free to reuse.
CREATE TRIGGER addresses_follow_users AFTER DELETE ON users
BEGIN
    DELETE FROM addresses WHERE user_id = OLD.id;
END;
